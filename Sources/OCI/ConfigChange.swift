import Foundation

/// One thing isoprobe changed in a user's config.json to run its own program in it, and why:
/// everything else in the config is the user's and is what isoprobe measures or verifies.
public struct ConfigChange: Codable, Equatable, Sendable {
    /// Where in the config: `process.terminal`, `mounts`, `hooks.startContainer`.
    public var field: String
    /// What changed: `true -> false`, `+ /.isoprobe-hook (bind, rw)`.
    public var change: String
    public var reason: String

    public init(_ field: String, _ change: String, because reason: String) {
        self.field = field
        self.change = change
        self.reason = reason
    }

    /// `field: change (reason)`, for a report's line.
    public var line: String { "\(field): \(change) (\(reason))" }
}
