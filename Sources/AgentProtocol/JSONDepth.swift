import Foundation

/// How deep arrays and objects nest in a JSON text, found in one pass without parsing, so a
/// payload nested past a limit is refused before a decoder spends recursion on it. Brackets
/// inside strings do not count; the text need not be valid JSON (the decoder judges that).
public enum JSONDepth {
    /// The depth reached when it passes `limit` (then the scan stops), else nil.
    public static func exceeded(in data: Data, limit: Int) -> Int? {
        data.withUnsafeBytes { bytes -> Int? in
            var depth = 0
            var inString = false
            var escaped = false
            for b in bytes {
                if inString {
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                    continue
                }
                switch b {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > limit { return depth }
                case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
                default: break
                }
            }
            return nil
        }
    }
}
