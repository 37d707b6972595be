import Foundation
import IsoprobeCore

/// The rule `isoprobe compare A B` applies, as A/B performance gates do: a metric changed
/// only when the rank test gives p < alpha *and* the interval of the change lies wholly
/// beyond the threshold. Either alone is not enough: many repetitions make tiny shifts
/// significant, and few make large noise look like a shift.
///
/// Native figures are compared as they are. A container's or a guest's figure is compared
/// as its cost against native where both sessions ran in paired rounds: each session's own
/// native runs then cancel what changed on the host between the sessions (its load, its
/// clock speed, the state of its disk), which no pairing across sessions can. Such a change
/// shows on native, once; what the environment adds on top shows on the environment.
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
        let baseline = summarizer.baseline
        func native(of group: Summarizer.Group, in groups: [Summarizer.Group]) -> Summarizer.Group? {
            group.environment == baseline ? nil
                : groups.first { $0.workload == group.workload && $0.environment == baseline }
        }
        var out: [MetricChange] = []
        for group in after {
            guard let base = pair(group) else { continue }
            let nativeA = native(of: base, in: before), nativeB = native(of: group, in: after)
            for metric in summarizer.metrics {
                let va = base.runs.compactMap(metric.value), vb = group.runs.compactMap(metric.value)
                guard !va.isEmpty, !vb.isEmpty, va.count == base.runs.count, vb.count == group.runs.count,
                      let ma = SampleStatistics.median(va), let mb = SampleStatistics.median(vb)
                else { continue }
                let salt = "\(group.workload)/\(group.environment)/\(metric.name)"
                let change: (ratio: RatioSummary, a: Double, b: Double, basis: MetricChange.Basis)
                if let nativeA, let nativeB,
                   let pa = Summarizer.pairs(base.runs, nativeA.runs, metric), let pb = Summarizer.pairs(group.runs, nativeB.runs, metric) {
                    let da = PairedStatistics.logRatios(pa.values, pa.baseline), db = PairedStatistics.logRatios(pb.values, pb.baseline)
                    guard let ratio = summarizer.compareCosts(db, against: da, values: vb, baseline: va, salt: salt,
                                                              floor: metric.floor) else { continue }
                    change = (ratio, exp(PairedStatistics.mean(da)), exp(PairedStatistics.mean(db)), .costVsNative)
                } else {
                    guard let ratio = summarizer.compare(vb, against: va, salt: salt, floor: metric.floor) else { continue }
                    change = (ratio, ma, mb, .absolute)
                }
                let worse = metric.lowerIsBetter ? change.ratio.ratio > 1 : change.ratio.ratio < 1
                let verdict: MetricChange.Verdict = !change.ratio.significant ? .unchanged : worse ? .regression : .improvement
                let workload = base.workload == group.workload ? group.workload : "\(base.workload) -> \(group.workload)"
                out.append(MetricChange(workload: workload, environment: group.environment, metric: metric.name,
                                        unit: change.basis == .costVsNative ? "x" : metric.unit, medianA: change.a,
                                        medianB: change.b, ratio: change.ratio, verdict: verdict, basis: change.basis))
            }
        }
        return out
    }

    public static func isGating(_ change: MetricChange) -> Bool { MetricDefinition.named(change.metric)?.gating ?? false }
}
