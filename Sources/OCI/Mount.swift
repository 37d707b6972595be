import Foundation

/// One entry of `mounts`, applied in order after the root filesystem.
public struct Mount: Codable, Equatable, Sendable {
    public var destination: String
    public var type: String?
    public var source: String?
    public var options: [String]?

    public init(destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
    }
}
