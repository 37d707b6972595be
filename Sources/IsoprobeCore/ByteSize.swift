import Foundation

/// Sizes as people write them: 64M, 512MiB, 2G, 1048576.
public enum ByteSize {
    public static func parse(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int64)] = [("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("G", 1 << 30),
                                        ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            // Not NaN, and small enough for Int64 (an infinite or huge size would trap).
            guard let v = Double(t.dropLast(suffix.count)), v > 0, v * Double(factor) < 0x1p63 else { return nil }
            return Int64(v * Double(factor))
        }
        guard let v = Int64(t), v > 0 else { return nil }
        return v
    }
}
