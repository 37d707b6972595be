import Foundation

extension VerifyReport {
    /// SARIF 2.1.0: one rule per check id with its title; one result per check of every
    /// guest with its class: level error for required boundaries open, contradictions and a
    /// control's missed failures, warning for other open boundaries (the config allows them),
    /// note for held ones (none for na).
    public func sarif() throws -> Data {
        let rules: [[String: Any]] = BoundaryCheck.all.map {
            ["id": $0.id, "name": $0.id.replacingOccurrences(of: ".", with: "_"),
             "shortDescription": ["text": $0.title], "properties": ["category": $0.category]]
        }
        let index = Dictionary(uniqueKeysWithValues: BoundaryCheck.all.enumerated().map { ($1.id, $0) })
        var results: [[String: Any]] = []
        for g in everyGuest {
            let failing = Set(g.failing.map(\.id))
            for c in g.checks {
                let bad = failing.contains(c.id)
                let level = bad ? "error" : c.verdict == .na ? "none" : c.classification == .open && !g.isControl ? "warning" : "note"
                let said = c.classification == .held ? "held" : c.classification == .open
                    ? "open, allowed by the config (\(c.expected.reason))"
                    : "contradiction: open although the config closes it (\(c.expected.reason))"
                var result: [String: Any] = [
                    "ruleId": c.id,
                    "level": level,
                    "kind": c.verdict == .na ? "notApplicable" : bad ? "fail" : "pass",
                    "message": ["text": "\(g.environment) (\(g.profile)\(g.isControl ? ", control" : "")): "
                        + "\(said); \(c.verdict.rawValue): \(c.evidence)" + (c.required && !g.isControl ? "; required by the policy" : "")],
                    "locations": [["logicalLocations": [["name": g.profile, "fullyQualifiedName": "\(g.environment)/\(g.profile)",
                                                          "kind": "module"]]]],
                    "properties": ["environment": g.environment, "profile": g.profile, "verdict": c.verdict.rawValue,
                                   "class": c.classification.rawValue, "expected": c.expected.outcome.rawValue,
                                   "required": c.required, "control": g.isControl,
                                   "policy": g.isControl ? "control" : policy.name],
                ]
                if let i = index[c.id] { result["ruleIndex"] = i }
                results.append(result)
            }
        }
        let log: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [["tool": ["driver": ["name": "isoprobe", "version": isoprobeVersion, "rules": rules]],
                      "results": results]],
        ]
        return try JSONSerialization.data(withJSONObject: log, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
