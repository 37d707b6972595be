import Foundation

/// What one check's result means for the config it ran under: every result is one of three.
public enum CheckClass: String, Codable, Sendable, CaseIterable {
    /// The boundary held. A check that could not be tried (na) counts as held where the
    /// config closes the boundary: nothing crossed it.
    case held
    /// The boundary is open, and the config allows it: the expectation's reason names the
    /// setting ("no pid namespace"). A check not tried where the config leaves it open counts
    /// here too: nothing closes it.
    case open
    /// The config closes the boundary, yet it was open: an escape.
    case contradiction

    public init(verdict: CheckVerdict, expected: Expectation.Outcome) {
        switch (verdict, expected) {
        case (.pass, _): self = .held
        case (.fail, .pass): self = .contradiction
        case (.fail, _): self = .open
        case (.na, .pass): self = .held
        case (.na, _): self = .open
        }
    }
}
