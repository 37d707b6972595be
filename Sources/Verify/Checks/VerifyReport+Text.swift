import Foundation

extension VerifyReport {
    /// The table: per guest, its failing checks first (marked), then the rest, each with
    /// verdict, expectation and evidence; the host probes' observations below.
    public func text() -> String {
        var out = ""
        let width = BoundaryCheck.all.map(\.id.count).max() ?? 24
        for g in everyGuest {
            out += "== \(g.environment) (\(g.profile))"
                + (g.isControl ? ": control, must FAIL the checks marked with *" : "") + "\n"
            out += "   " + "check".padding(toLength: width, withPad: " ", startingAt: 0) + "  verdict  expected  evidence\n"
            let failing = Set(g.failing.map(\.id))
            for c in g.checks.filter({ failing.contains($0.id) }) + g.checks.filter({ !failing.contains($0.id) }) {
                let mark = g.isControl ? (c.controlMiss ? "!! " : c.required ? " * " : "   ")
                    : c.breach ? "!! " : !c.matches ? "?? " : "   "
                out += mark + c.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + c.verdict.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0) + "  "
                    + c.expected.outcome.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + "  "
                    + c.evidence + "\n"
            }
            let refused = g.observations.refusedSyscalls
            if !refused.isEmpty {
                out += "   host probes, syscalls refused: "
                    + refused.prefix(12).map { "\($0.syscall) \($0.errno) x\($0.count)" }.joined(separator: ", ") + "\n"
            }
            if let caps = g.observations.capabilities {
                let denied = caps.filter { $0.refused > 0 }
                out += "   host probes, capabilities refused: "
                    + (denied.isEmpty ? "none" : denied.map { "\($0.capability) x\($0.refused)" }.joined(separator: ", ")) + "\n"
            }
            for note in g.notes { out += "   note: \(note)\n" }
        }
        for p in performance ?? [] { out += p.text }
        out += "verdict: \(breaches.count) breach\(breaches.count == 1 ? "" : "es"), "
            + "\(mismatches.count) contradiction\(mismatches.count == 1 ? "" : "s") of the profile"
        if let control {
            out += controlValid ? "; control valid"
                : "; CONTROL INVALID (did not fail: \(control.controlFailures.joined(separator: ", ")))"
        } else {
            out += "; no control: run invalid"
        }
        return out + "\n"
    }
}
