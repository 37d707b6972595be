import Foundation

extension VerifyReport {
    /// The table: per guest, its failing checks first (marked `!!`), then the rest, each with
    /// verdict, class and evidence; below it what is open and why, what isoprobe changed in
    /// the config, and the host probes' observations; last the verdict under the policy.
    public func text() -> String {
        var out = ""
        let width = BoundaryCheck.all.map(\.id.count).max() ?? 24
        func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
        for g in everyGuest {
            out += "== \(g.environment) (\(g.profile))"
                + (g.isControl ? ": control, must FAIL the checks marked with *" : "; policy \(policy.name)") + "\n"
            out += "   " + pad("check", width) + "  verdict  class          evidence\n"
            let failing = Set(g.failing.map(\.id))
            for c in g.checks.filter({ failing.contains($0.id) }) + g.checks.filter({ !failing.contains($0.id) }) {
                let mark = failing.contains(c.id) ? "!! " : g.isControl && c.required ? " * " : "   "
                out += mark + pad(c.id, width) + "  " + pad(c.verdict.rawValue.uppercased(), 7) + "  "
                    + pad(c.classification.rawValue, 13) + "  " + c.evidence + "\n"
            }
            if !g.isControl {
                let open = g.checks.filter { $0.classification == .open }
                if !open.isEmpty {
                    out += "   open, allowed by the config:\n"
                    for c in open {
                        out += (c.breach ? "!!   " : "     ") + "\(c.id): \(c.expected.reason)"
                            + (c.breach ? " (the policy requires it)" : "") + "\n"
                    }
                }
                let escapes = g.contradictions
                if !escapes.isEmpty {
                    out += "   contradictions, open although the config closes them (an escape):\n"
                    for c in escapes { out += "!!   \(c.id): closed by the config (\(c.expected.reason))\n" }
                }
                if let changes = g.configChanges, !changes.isEmpty {
                    out += "   isoprobe changed the config to run A and B in it:\n"
                    for change in changes { out += "     \(change.line)\n" }
                }
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
        return out + verdictLine() + "\n"
    }

    /// `verdict (policy P): N required boundaries open (ids), M contradictions (ids); control ...`.
    func verdictLine() -> String {
        func counted(_ n: Int, _ one: String, _ many: String, _ ids: [String]) -> String {
            "\(n) \(n == 1 ? one : many)" + (ids.isEmpty ? "" : " (" + ids.joined(separator: ", ") + ")")
        }
        var out = "verdict (policy \(policy.name)): "
            + counted(breaches.count, "required boundary open", "required boundaries open", breaches.map(\.id)) + ", "
            + counted(contradictions.count, "contradiction", "contradictions", contradictions.map(\.id)) + " of the config"
        if let control {
            out += controlValid ? "; control valid"
                : "; CONTROL INVALID (did not fail: \(control.controlFailures.joined(separator: ", ")))"
        } else {
            out += "; no control: run invalid"
        }
        return out
    }
}
