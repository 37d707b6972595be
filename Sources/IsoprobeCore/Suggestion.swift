/// "Did you mean ...?" for a word the user typed: the closest known word by edit distance.
public enum Suggestion {
    /// The word of `known` nearest to `word`, when it is at most `within` edits away.
    public static func closest(to word: String, among known: [String], within: Int = 2) -> String? {
        let best = known.min { distance(word, $0) < distance(word, $1) }
        return best.flatMap { distance(word, $0) <= within ? $0 : nil }
    }

    /// Levenshtein distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where i <= a.count {
            var prev = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where j <= b.count {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
}
