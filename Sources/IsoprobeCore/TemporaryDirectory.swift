import Foundation

/// Directories isoprobe makes for a run's own files (bundles, guest work, scratch).
public enum TemporaryDirectory {
    /// `$TMPDIR`, else /tmp.
    public static var base: String { ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp" }

    /// A fresh directory `<base>/<prefix>-XXXXXX` (mode 0700, from mkdtemp); nil with errno
    /// set when it cannot be made, so each caller words its own error.
    public static func make(in base: String = TemporaryDirectory.base, prefix: String) -> String? {
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) }
    }
}
