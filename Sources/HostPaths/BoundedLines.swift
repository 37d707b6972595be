import Foundation

/// Splits what an untrusted guest writes into lines, within bounds: a line longer than
/// `maxLine` is cut off and flagged, and after `maxLines` lines the rest is ignored.
struct BoundedLines {
    let maxLine: Int
    let maxLines: Int
    private(set) var lines: [Data] = []
    /// Lines cut at `maxLine`, and bytes ignored past `maxLines`.
    private(set) var overlong = 0
    private(set) var ignoredBytes = 0
    private var current = Data()
    private var skipping = false

    init(maxLine: Int, maxLines: Int) {
        self.maxLine = maxLine
        self.maxLines = maxLines
    }

    /// The complete lines `bytes` finished.
    mutating func feed(_ bytes: Data) -> [Data] {
        var finished: [Data] = []
        for b in bytes {
            if lines.count >= maxLines {
                ignoredBytes += 1
                continue
            }
            if b == UInt8(ascii: "\n") {
                if !skipping {
                    lines.append(current)
                    finished.append(current)
                }
                current.removeAll(keepingCapacity: true)
                skipping = false
            } else if !skipping {
                if current.count >= maxLine {
                    overlong += 1
                    skipping = true
                    current.removeAll()
                } else {
                    current.append(b)
                }
            }
        }
        return finished
    }
}
