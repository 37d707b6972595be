/// The runs of one workload in one environment: what every summary, comparison and report
/// groups by.
public struct RunGroup: Sendable {
    public var workload: String
    public var environment: String
    public var runs: [RunResult]
}

extension RunGroup {
    /// Runs grouped by workload spec and environment, in one order for every report:
    /// workloads as first seen, then environments as first seen. With `succeededOnly` (the
    /// statistics), a run that failed counts nowhere: it measured something else.
    public static func groups(_ runs: [RunResult], succeededOnly: Bool = true) -> [RunGroup] {
        var out: [RunGroup] = []
        for run in runs where !succeededOnly || run.exit.succeeded {
            if let i = out.firstIndex(where: { $0.workload == run.workload.spec && $0.environment == run.environment }) {
                out[i].runs.append(run)
            } else {
                out.append(RunGroup(workload: run.workload.spec, environment: run.environment, runs: [run]))
            }
        }
        let workloads = out.map(\.workload).uniqued()
        let environments = out.map(\.environment).uniqued()
        return out.sorted {
            (workloads.firstIndex(of: $0.workload)!, environments.firstIndex(of: $0.environment)!)
                < (workloads.firstIndex(of: $1.workload)!, environments.firstIndex(of: $1.environment)!)
        }
    }
}
