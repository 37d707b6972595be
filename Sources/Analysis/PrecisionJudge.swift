import IsoprobeCore

/// Whether a workload's ratios to native are known well enough: for each environment beside
/// native, the paired interval of the primary metric, wall time and CPU time is within
/// ± `target` of the ratio ((ci_high - ci_low) / 2 <= target × ratio).
public struct PrecisionJudge: Sendable {
    public var method: SummaryMethod
    public var target: Double
    public var baseline = EnvironmentKind.native.rawValue

    public init(method: SummaryMethod, target: Double) {
        self.method = method
        self.target = target
    }

    /// The metrics judged for runs of a workload (`MetricDefinition.judgedByPrecision`), those
    /// the runs report.
    public static func judged(for runs: [RunResult]) -> [MetricDefinition] {
        MetricDefinition.all.filter { m in
            MetricDefinition.judgedByPrecision.contains(m.name) && runs.first.flatMap(m.value) != nil
        }
    }

    /// The precision reached per environment and judged metric; nil where fewer than two
    /// rounds are paired.
    public func precisions(in results: [RunResult], workload: WorkloadSpec) -> [Double?] {
        let groups = RunGroup.groups(results.filter { $0.workload.spec == workload.text })
        guard let base = groups.first(where: { $0.environment == baseline }) else { return [] }
        let summarizer = Summarizer(method: method, baseline: baseline)
        return groups.filter { $0.environment != baseline }.flatMap { group in
            Self.judged(for: group.runs).map { metric -> Double? in
                guard let pairs = Summarizer.pairs(group.runs, base.runs, metric) else { return nil }
                return summarizer.comparePaired(pairs.values, against: pairs.baseline,
                                                salt: "\(workload.text)/\(group.environment)/\(metric.name)")?.precision
            }
        }
    }

    public func isMet(by results: [RunResult], workload: WorkloadSpec) -> Bool {
        let p = precisions(in: results, workload: workload)
        // A workload run natively only has no ratio to know.
        return p.allSatisfy { ($0 ?? .infinity) <= target }
    }

    /// The widest interval so far (nil until every judged ratio has one).
    public func widest(in results: [RunResult], workload: WorkloadSpec) -> Double? {
        let p = precisions(in: results, workload: workload)
        guard !p.isEmpty, !p.contains(where: { $0 == nil }) else { return nil }
        return p.compactMap { $0 }.max()
    }
}
