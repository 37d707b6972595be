import Foundation

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

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let keyPath, !keyPath.isEmpty { parts.append(keyPath) }
        parts.append(message)
        // The error is printed as a single line, whatever the decoder put in its message.
        return parts.joined(separator: ": ")
            .split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
