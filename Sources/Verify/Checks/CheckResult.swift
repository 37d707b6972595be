import Foundation

/// One check's verdict beside what the profile expected of it.
public struct CheckResult: Codable, Sendable, Equatable {
    public var id: String
    public var category: String
    public var title: String
    public var verdict: CheckVerdict
    public var evidence: String
    public var expected: Expectation
    /// The profile insists on `expected`: a boundary it promises (pass), or for a control a
    /// check that must fail to show the checks can fail.
    public var required: Bool
    /// The verdict does not contradict `expected`.
    public var matches: Bool

    public init(check: BoundaryCheck, observed: ObservedCheck, expected: Expectation, required: Bool) {
        id = check.id
        category = check.category
        title = check.title
        verdict = observed.verdict
        evidence = observed.evidence
        self.expected = expected
        self.required = required
        matches = !expected.contradicted(by: observed.verdict)
    }

    /// A required boundary that did not hold.
    public var breach: Bool { required && expected.outcome == .pass && verdict == .fail }

    /// A control check that had to fail and did not (held, or was not tried): the control
    /// no longer proves that the check can see a breach.
    public var controlMiss: Bool { required && expected.outcome == .fail && verdict != .fail }
}
