import IsoprobeCore

/// The rule `isoprobe compare A B` applies, as A/B performance gates do: a metric changed
/// only when the rank test gives p < alpha *and* the medians differ by more than the
/// threshold. Either alone is not enough: many repetitions make tiny shifts significant,
/// and few make large noise look like a shift.
public struct ChangeDetector: Sendable {
    public var summarizer: Summarizer

    public init(method: SummaryMethod, metrics: [MetricDefinition] = MetricDefinition.all) {
        summarizer = Summarizer(method: method, metrics: metrics)
    }

    /// Every (workload, environment, metric) both sides measured, B judged against A.
    /// Workloads pair by spec; one whose parameters changed (`compute` with a `delay_ms`)
    /// pairs by name when each side has exactly one workload of that name there.
    public func changes(from a: [RunResult], to b: [RunResult]) -> [MetricChange] {
        let before = Summarizer.groups(a), after = Summarizer.groups(b)
        func name(_ spec: String) -> Substring { spec.split(separator: ":", maxSplits: 1).first ?? Substring(spec) }
        func pair(_ group: Summarizer.Group) -> Summarizer.Group? {
            if let exact = before.first(where: { $0.workload == group.workload && $0.environment == group.environment }) {
                return exact
            }
            let same = { (g: Summarizer.Group) in name(g.workload) == name(group.workload) && g.environment == group.environment }
            let candidates = before.filter(same)
            guard candidates.count == 1, after.filter(same).count == 1 else { return nil }
            return candidates[0]
        }
        var out: [MetricChange] = []
        for group in after {
            guard let base = pair(group) else { continue }
            for metric in summarizer.metrics {
                let va = base.runs.compactMap(metric.value), vb = group.runs.compactMap(metric.value)
                guard !va.isEmpty, !vb.isEmpty, va.count == base.runs.count, vb.count == group.runs.count,
                      let ratio = summarizer.compare(vb, against: va, salt: "\(group.workload)/\(group.environment)/\(metric.name)",
                                                     floor: metric.floor),
                      let ma = SampleStatistics.median(va), let mb = SampleStatistics.median(vb)
                else { continue }
                let worse = metric.lowerIsBetter ? ratio.ratio > 1 : ratio.ratio < 1
                let verdict: MetricChange.Verdict = !ratio.significant ? .unchanged : worse ? .regression : .improvement
                let workload = base.workload == group.workload ? group.workload : "\(base.workload) -> \(group.workload)"
                out.append(MetricChange(workload: workload, environment: group.environment, metric: metric.name,
                                        unit: metric.unit, medianA: ma, medianB: mb, ratio: ratio, verdict: verdict))
            }
        }
        return out
    }

    public static func isGating(_ change: MetricChange) -> Bool { MetricDefinition.named(change.metric)?.gating ?? false }
}
