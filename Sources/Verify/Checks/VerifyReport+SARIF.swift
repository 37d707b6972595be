import Foundation

extension VerifyReport {
    /// SARIF 2.1.0: one rule per check id with its title; one result per check of every
    /// guest, level error for breaches, contradictions and a control's missed failures, note
    /// for the rest (none for na).
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
                var result: [String: Any] = [
                    "ruleId": c.id,
                    "level": bad ? "error" : c.verdict == .na ? "none" : "note",
                    "kind": c.verdict == .na ? "notApplicable" : bad ? "fail" : "pass",
                    "message": ["text": "\(g.environment) (\(g.profile)\(g.isControl ? ", control" : "")): "
                        + "\(c.verdict.rawValue): \(c.evidence); expected \(c.expected.outcome.rawValue) (\(c.expected.reason))"],
                    "locations": [["logicalLocations": [["name": g.profile, "fullyQualifiedName": "\(g.environment)/\(g.profile)",
                                                          "kind": "module"]]]],
                    "properties": ["environment": g.environment, "profile": g.profile, "verdict": c.verdict.rawValue,
                                   "expected": c.expected.outcome.rawValue, "required": c.required, "control": g.isControl],
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
