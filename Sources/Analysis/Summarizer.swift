import Foundation
import IsoprobeCore

/// Turns repetitions into the figures a reviewer asks for: per workload, environment and
/// metric the median, IQR and a bootstrap interval of the median; against native, from the
/// paired rounds, the ratio with its interval, a sign-flip test, the precision reached and
/// the smallest change detectable (unpaired, by medians and a rank test, only where runs
/// cannot be matched by round). Only runs that exited cleanly
/// count: a killed or failed run measured something else, and would pull the median.
public struct Summarizer: Sendable {
    public var method: SummaryMethod
    public var metrics: [MetricDefinition]
    public var baseline: String

    public init(method: SummaryMethod, metrics: [MetricDefinition] = MetricDefinition.all, baseline: String = EnvironmentKind.native.rawValue) {
        self.method = method
        self.metrics = metrics
        self.baseline = baseline
    }

    typealias Group = RunGroup

    static func groups(_ runs: [RunResult]) -> [RunGroup] { RunGroup.groups(runs) }

    public func summarize(_ runs: [RunResult]) -> SummaryReport {
        let groups = Self.groups(runs)
        var out: [MetricSummary] = []
        for group in groups {
            let base = group.environment == baseline ? nil
                : groups.first { $0.workload == group.workload && $0.environment == baseline }
            // The container in the host's namespace is judged against the bridged one too.
            let bridged = group.environment != EnvironmentKind.containerHost.rawValue ? nil
                : groups.first { $0.workload == group.workload && $0.environment == EnvironmentKind.container.rawValue }
            for metric in metrics {
                let values = group.runs.compactMap(metric.value)
                guard values.count == group.runs.count, !values.isEmpty else { continue }
                var summary = describe(values, workload: group.workload, environment: group.environment, metric: metric)
                if let base {
                    summary.vsNative = ratio(values, of: group, against: base, metric: metric)
                }
                if let bridged {
                    summary.vsContainer = ratio(values, of: group, against: bridged, metric: metric)
                }
                out.append(summary)
            }
        }
        return SummaryReport(method: method, metrics: out)
    }

    /// A group's values against another group's: paired by round where the rounds match,
    /// else unpaired.
    func ratio(_ values: [Double], of group: RunGroup, against base: RunGroup, metric: MetricDefinition) -> RatioSummary? {
        let salt = "\(group.workload)/\(group.environment)/\(metric.name)" + (base.environment == baseline ? "" : "/" + base.environment)
        if let pairs = Self.pairs(group.runs, base.runs, metric) {
            return comparePaired(pairs.values, against: pairs.baseline, salt: salt, floor: metric.floor)
        }
        let baseValues = base.runs.compactMap(metric.value)
        guard baseValues.count == base.runs.count else { return nil }
        return compare(values, against: baseValues, salt: salt, floor: metric.floor)
    }

    func describe(_ values: [Double], workload: String, environment: String, metric: MetricDefinition) -> MetricSummary {
        let s = values.sorted()
        let ci = SampleStatistics.medianInterval(values, confidence: method.confidence,
                                                 resamples: method.bootstrapResamples,
                                                 seed: seed("\(workload)/\(environment)/\(metric.name)"))
        let median = SampleStatistics.quantile(sorted: s, 0.5)
        return MetricSummary(workload: workload, environment: environment, metric: metric.name, unit: metric.unit,
                             n: values.count, values: values, median: median,
                             q1: SampleStatistics.quantile(sorted: s, 0.25), q3: SampleStatistics.quantile(sorted: s, 0.75),
                             ciLow: ci?.low ?? median, ciHigh: ci?.high ?? median)
    }

    /// The runs of a workload in an environment and in the baseline, matched by round (the
    /// repetition number): nil unless at least two rounds have both, each round once.
    static func pairs(_ runs: [RunResult], _ base: [RunResult], _ metric: MetricDefinition)
        -> (values: [Double], baseline: [Double])? {
        func byRound(_ rs: [RunResult]) -> [Int: Double]? {
            var out: [Int: Double] = [:]
            for r in rs {
                guard out[r.repetition] == nil else { return nil }
                if let v = metric.value(r) { out[r.repetition] = v }
            }
            return out
        }
        guard let a = byRound(runs), let b = byRound(base) else { return nil }
        let rounds = a.keys.filter { b[$0] != nil }.sorted()
        guard rounds.count >= 2 else { return nil }
        return (rounds.map { a[$0]! }, rounds.map { b[$0]! })
    }

    /// Paired rounds against the baseline: the geometric mean of the rounds' ratios, a
    /// bootstrap over rounds, the sign-flip test, and the verdict of the rule.
    public func comparePaired(_ values: [Double], against baseline: [Double], salt: String,
                              floor: Double? = nil) -> RatioSummary? {
        let d = PairedStatistics.logRatios(values, baseline)
        guard d.count >= 2 else { return nil }
        let ratio = exp(PairedStatistics.mean(d))
        let ci = PairedStatistics.meanInterval(d, confidence: method.confidence, resamples: method.bootstrapResamples,
                                               seed: seed(salt)) ?? (0, 0)
        let p = PairedStatistics.signFlipP(d, seed: seed(salt + "/p"))
        let low = exp(ci.low), high = exp(ci.high)
        return RatioSummary(ratio: ratio, ciLow: low, ciHigh: high, pValue: p,
                            significant: p < method.alpha && beyond(low, high) && clears(floor, values, baseline),
                            method: .paired, n: d.count,
                            minimumDetectable: PairedStatistics.minimumDetectable(
                                rounds: d.count, logInterval: ci, threshold: method.threshold, alpha: method.alpha))
    }

    /// median(values) / median(baseline), its interval, the rank test and the verdict of the
    /// rule: significant when p < alpha and the ratio's interval lies wholly beyond the
    /// threshold. For sets of runs that cannot be paired (two sessions).
    public func compare(_ values: [Double], against baseline: [Double], salt: String, floor: Double? = nil) -> RatioSummary? {
        guard let mb = SampleStatistics.median(baseline), mb != 0, let m = SampleStatistics.median(values) else { return nil }
        let ratio = m / mb
        let ci = SampleStatistics.ratioInterval(values, baseline, confidence: method.confidence,
                                                resamples: method.bootstrapResamples, seed: seed(salt))
        let p = SampleStatistics.mannWhitneyP(values, baseline)
        let low = ci?.low ?? ratio, high = ci?.high ?? ratio
        let n = min(values.count, baseline.count)
        let mde = low > 0 && ratio > 0
            ? unpairedDetectable(values.count, baseline.count, logInterval: (log(low), log(high))) : nil
        return RatioSummary(ratio: ratio, ciLow: low, ciHigh: high, pValue: p,
                            significant: p < method.alpha && beyond(low, high) && clears(floor, values, baseline),
                            method: .unpaired, n: n, minimumDetectable: mde)
    }

    /// Two sessions' costs against native: each session's rounds give log-ratios d = ln(x /
    /// x_native); cost(B) / cost(A) = exp(mean d_B - mean d_A), its interval a bootstrap of
    /// that difference (the rounds of each session resampled on their own), its test the rank
    /// test on the two sets of log-ratios. The figures themselves must still differ by the
    /// metric's floor.
    public func compareCosts(_ costs: [Double], against baselineCosts: [Double], values: [Double], baseline: [Double],
                             salt: String, floor: Double? = nil) -> RatioSummary? {
        guard costs.count >= 2, baselineCosts.count >= 2,
              let ci = PairedStatistics.differenceInterval(baselineCosts, costs, confidence: method.confidence,
                                                           resamples: method.bootstrapResamples, seed: seed(salt))
        else { return nil }
        let ratio = exp(PairedStatistics.mean(costs) - PairedStatistics.mean(baselineCosts))
        let low = exp(ci.low), high = exp(ci.high)
        let p = SampleStatistics.mannWhitneyP(costs, baselineCosts)
        return RatioSummary(ratio: ratio, ciLow: low, ciHigh: high, pValue: p,
                            significant: p < method.alpha && beyond(low, high) && clears(floor, values, baseline),
                            method: .unpaired, n: min(costs.count, baselineCosts.count),
                            minimumDetectable: unpairedDetectable(costs.count, baselineCosts.count, logInterval: ci))
    }

    /// The smallest change the rule could call between two unpaired sets: none when the
    /// rank test cannot reach p < alpha with these sizes (its smallest p is when every value
    /// of one set lies beyond the other's); otherwise the threshold plus the interval's
    /// half-width, since the whole interval must clear the threshold.
    func unpairedDetectable(_ n1: Int, _ n2: Int, logInterval: (low: Double, high: Double)) -> Double? {
        let smallest = SampleStatistics.mannWhitneyP((0..<n1).map { Double($0 + n2) }, (0..<n2).map(Double.init))
        guard smallest < method.alpha else { return nil }
        return exp(log(1 + method.threshold) + (logInterval.high - logInterval.low) / 2) - 1
    }

    /// The medians differ by at least the metric's floor (any difference without one).
    func clears(_ floor: Double?, _ values: [Double], _ baseline: [Double]) -> Bool {
        guard let floor, let a = SampleStatistics.median(values), let b = SampleStatistics.median(baseline) else { return true }
        return abs(a - b) >= floor
    }

    /// Beyond the threshold means the whole interval is: a point estimate just over 5% on
    /// five noisy repetitions is not a 5% change.
    func beyond(_ low: Double, _ high: Double) -> Bool {
        low > 1 + method.threshold || high < 1 - method.threshold
    }

    /// One stream per figure: the same data give the same interval, whatever else is in the report.
    func seed(_ salt: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ method.bootstrapSeed
        for b in salt.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
