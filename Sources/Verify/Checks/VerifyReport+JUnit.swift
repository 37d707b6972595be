import Foundation

extension VerifyReport {
    /// JUnit XML: a testsuite per guest, a testcase per check with its class, verdict and
    /// whether the policy requires it as properties; required boundaries open, contradictions
    /// and a control's missed failures are `<failure>` (type `open`, `contradiction`,
    /// `control`), na checks `<skipped>`.
    public func junit() -> String {
        let all = everyGuest
        let tests = all.reduce(0) { $0 + $1.checks.count }
        let failures = all.reduce(0) { $0 + $1.failing.count }
        let skipped = all.reduce(0) { $0 + $1.checks.filter { $0.verdict == .na }.count }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"isoprobe verify\" tests=\"\(tests)\" failures=\"\(failures)\" skipped=\"\(skipped)\">\n"
        for g in all {
            let failing = Set(g.failing.map(\.id))
            let na = g.checks.filter { $0.verdict == .na && !failing.contains($0.id) }.count
            out += "  <testsuite name=\"\(Self.xml(g.environment)).\(Self.xml(g.profile))\" tests=\"\(g.checks.count)\""
                + " failures=\"\(failing.count)\" errors=\"0\" skipped=\"\(na)\">\n"
            out += "    <properties><property name=\"policy\" value=\"\(Self.xml(g.isControl ? "control" : policy.name))\"/></properties>\n"
            for c in g.checks {
                out += "    <testcase classname=\"\(Self.xml(g.environment)).\(Self.xml(c.category))\" name=\"\(Self.xml(c.id))\">"
                out += "<properties><property name=\"class\" value=\"\(c.classification.rawValue)\"/>"
                    + "<property name=\"verdict\" value=\"\(c.verdict.rawValue)\"/>"
                    + "<property name=\"required\" value=\"\(c.required)\"/></properties>"
                if failing.contains(c.id) {
                    let (type, why) = g.isControl ? ("control", "the control must fail this check, but it was \(c.verdict.rawValue)")
                        : c.contradiction ? ("contradiction", "open although the config closes it (\(c.expected.reason)): an escape")
                        : ("open", "the policy requires this boundary; open, allowed by the config: \(c.expected.reason)")
                    out += "<failure message=\"\(Self.xml(why))\" type=\"\(type)\">" + Self.xml(c.evidence) + "</failure>"
                } else if c.verdict == .na {
                    out += "<skipped message=\"\(Self.xml(c.evidence))\"/>"
                } else {
                    let said = c.classification == .open ? "open, allowed by the config (\(c.expected.reason))" : c.classification.rawValue
                    out += "<system-out>\(Self.xml(said + ": " + c.verdict.rawValue + ": " + c.evidence))</system-out>"
                }
                out += "</testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    /// Escapes text for XML content and attribute values; control characters XML 1.0 cannot
    /// carry become spaces.
    static func xml(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            default:
                out.unicodeScalars.append(scalar.value < 0x20 ? " " : scalar)
            }
        }
        return out
    }
}
