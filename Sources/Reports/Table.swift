import Foundation

/// A plain aligned text table: numbers right-aligned, text left-aligned.
public struct Table {
    public var headers: [String]
    public var rows: [[String]] = []
    /// Right-align every column but the first (tables of figures with units).
    public var rightAlignAll = false

    public init(_ headers: [String]) {
        self.headers = headers
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    public func render(indent: String = "  ") -> String {
        let widths = headers.indices.map { c in
            ([headers[c]] + rows.map { c < $0.count ? $0[c] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            indent + cells.enumerated().map { c, cell in
                let fill = String(repeating: " ", count: max(widths[c] - cell.count, 0))
                return c > 0 && (rightAlignAll || isNumeric(cell)) ? fill + cell : cell + fill
            }.joined(separator: "  ").replacingTrailingSpaces() + "\n"
        }
        return line(headers) + rows.map(line).joined()
    }

    private func isNumeric(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isNumber || $0 == "." || $0 == "-" || $0 == "x" || $0 == "%" || $0 == "," }
    }
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

public enum Format {
    public static func duration(ns: UInt64) -> String { duration(ns: Double(ns)) }

    public static func duration(ns: Double) -> String {
        switch ns {
        case ..<1_000: return String(format: "%.0f ns", ns)
        case ..<1_000_000: return String(format: "%.1f us", ns / 1e3)
        case ..<1_000_000_000: return String(format: "%.1f ms", ns / 1e6)
        default: return String(format: "%.2f s", ns / 1e9)
        }
    }

    public static func bytes(_ b: UInt64) -> String {
        let d = Double(b)
        switch d {
        case ..<1024: return "\(b) B"
        case ..<(1024 * 1024): return String(format: "%.1f KiB", d / 1024)
        case ..<(1024 * 1024 * 1024): return String(format: "%.1f MiB", d / 1048576)
        default: return String(format: "%.2f GiB", d / 1073741824)
        }
    }
}
