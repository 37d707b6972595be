import Foundation
import IsoprobeCore

/// A config that cannot be read or built, in one line: the file, the key, what was wrong.
public struct OCIConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file read, when there was one.
    public var file: String?
    /// Where in the config, as a path: `process.args`, `linux.namespaces[2].type`.
    public var keyPath: String?
    public var message: String

    public init(file: String? = nil, _ keyPath: String?, _ message: String) {
        self.file = file
        self.keyPath = keyPath
        self.message = message
    }

    /// One line: whatever the decoder put in its message (line breaks become spaces), the
    /// config in its keys or the file's name (written as escapes, `ErrorWords.oneLine`).
    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let keyPath, !keyPath.isEmpty { parts.append(keyPath) }
        parts.append(message.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).joined(separator: " "))
        return ErrorWords.oneLine(parts.joined(separator: ": "))
    }
}
