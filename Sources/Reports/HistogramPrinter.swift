import IsoprobeCore

/// bcc's log2 histogram layout (`lo -> hi : count |****|`, 40 stars for the largest slot),
/// so output reads like the tools engineers already know.
public enum HistogramPrinter {
    public static let stars = 40

    public static func render(_ hist: Log2Histogram, label: String? = nil) -> String {
        guard let span = hist.span else { return "     (no samples)\n" }
        let unit = label ?? hist.unit
        let rows = span.map { i -> (String, String, UInt64) in
            let (lo, hi) = Log2Histogram.bounds(ofSlot: i)
            return (String(lo), String(hi), hist.slots[i])
        }
        let loWidth = max(rows.map(\.0.count).max() ?? 0, 10)
        let hiWidth = max(rows.map(\.1.count).max() ?? 0, 10)
        let maxCount = rows.map(\.2).max() ?? 1
        let countWidth = max(String(maxCount).count, 8)
        var out = pad(unit, loWidth, left: true) + pad("", hiWidth + 4, left: true)
            + " : " + pad("count", countWidth, left: false) + " distribution\n"
        for (lo, hi, count) in rows {
            let n = maxCount == 0 ? 0 : Int((Double(count) * Double(stars) / Double(maxCount)).rounded(.down))
            let bar = String(repeating: "*", count: n) + String(repeating: " ", count: stars - n)
            out += pad(lo, loWidth, left: true) + " -> " + pad(hi, hiWidth, left: false)
                + " : " + pad(String(count), countWidth, left: false) + " |" + bar + "|\n"
        }
        return out
    }

    static func pad(_ s: String, _ width: Int, left: Bool) -> String {
        guard s.count < width else { return s }
        let fill = String(repeating: " ", count: width - s.count)
        return left ? fill + s : s + fill
    }
}
