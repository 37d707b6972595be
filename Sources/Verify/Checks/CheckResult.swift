import Foundation

/// One check's verdict beside what the config lets through, its class and whether the
/// verdict policy requires it.
public struct CheckResult: Codable, Sendable, Equatable {
    public var id: String
    public var category: String
    public var title: String
    public var verdict: CheckVerdict
    public var evidence: String
    /// What the config lets through, and the setting that decides it.
    public var expected: Expectation
    public var classification: CheckClass
    /// A guest's: the verdict policy requires the boundary to hold. A control's: a check it
    /// must fail to show the checks can fail.
    public var required: Bool

    public init(check: BoundaryCheck, observed: ObservedCheck, expected: Expectation, required: Bool) {
        id = check.id
        category = check.category
        title = check.title
        verdict = observed.verdict
        evidence = observed.evidence
        self.expected = expected
        classification = CheckClass(verdict: observed.verdict, expected: expected.outcome)
        self.required = required
    }

    /// The verdict is what the config predicts (a held check the config leaves open is not).
    public var matches: Bool { !expected.contradicted(by: verdict) }

    /// A boundary the policy requires is open.
    public var breach: Bool { required && classification == .open }

    public var contradiction: Bool { classification == .contradiction }

    /// A control check that had to fail and did not (held, or was not tried): the control
    /// no longer proves that the check can see a breach.
    public var controlMiss: Bool { required && expected.outcome == .fail && verdict != .fail }
}
