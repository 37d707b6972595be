import IsoprobeCore

/// Events the probes missed: the kernel skips a program's run when its event comes while
/// the same program already runs on that CPU (an interrupt inside it). Rare, but an exact
/// count is then short by as many, and the report says so rather than let it pass.
public enum ProbeNote {
    public static func lines(_ runs: [RunResult]) -> [String] {
        var missed: [String: (events: UInt64, runs: Int)] = [:]
        func add(_ family: String, _ n: UInt64?) {
            guard let n, n > 0 else { return }
            missed[family, default: (0, 0)].events += n
            missed[family, default: (0, 0)].runs += 1
        }
        for run in runs {
            for status in run.probes { add(status.family, status.missedRuns) }
            add("block", run.blockLayer?.missedRuns)
        }
        return missed.keys.sorted().map { family in
            let m = missed[family]!
            return "the \(family) probes missed \(m.events) event\(m.events == 1 ? "" : "s") in \(m.runs) run\(m.runs == 1 ? "" : "s")"
                + " (the kernel skips a program re-entered on its CPU): those counts may be short by as many"
        }
    }
}
