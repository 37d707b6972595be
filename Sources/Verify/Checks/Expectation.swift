import Foundation

/// What a profile says one check should show, and why.
public struct Expectation: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// The boundary must hold.
        case pass
        /// The profile lets it through (a weakened control, a config that shares a namespace).
        case fail
        /// The profile alone cannot decide (a kernel setting, the guest's own kernel).
        case either
    }

    public var outcome: Outcome
    public var reason: String

    public init(_ outcome: Outcome, _ reason: String) {
        self.outcome = outcome
        self.reason = reason
    }

    /// A verdict contradicts the expectation when the profile decided and the check saw the
    /// opposite; na (not tried) contradicts nothing.
    public func contradicted(by verdict: CheckVerdict) -> Bool {
        switch (outcome, verdict) {
        case (.pass, .fail), (.fail, .pass): return true
        default: return false
        }
    }
}
