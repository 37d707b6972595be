import IsoprobeCore

/// Turns repetitions into the figures a reviewer asks for: per workload, environment and
/// metric the median, IQR and a bootstrap interval of the median; against native, the
/// ratio of medians with its interval and a rank test. Only runs that exited cleanly
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
            for metric in metrics {
                let values = group.runs.compactMap(metric.value)
                guard values.count == group.runs.count, !values.isEmpty else { continue }
                var summary = describe(values, workload: group.workload, environment: group.environment, metric: metric)
                if let base {
                    let baseValues = base.runs.compactMap(metric.value)
                    if baseValues.count == base.runs.count {
                        summary.vsNative = compare(values, against: baseValues, salt: "\(group.workload)/\(group.environment)/\(metric.name)")
                    }
                }
                out.append(summary)
            }
        }
        return SummaryReport(method: method, metrics: out)
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

    /// median(values) / median(baseline), its interval, the rank test and the verdict of the
    /// rule: significant when p < alpha and the ratio's interval lies wholly beyond the threshold.
    public func compare(_ values: [Double], against baseline: [Double], salt: String) -> RatioSummary? {
        guard let mb = SampleStatistics.median(baseline), mb != 0, let m = SampleStatistics.median(values) else { return nil }
        let ratio = m / mb
        let ci = SampleStatistics.ratioInterval(values, baseline, confidence: method.confidence,
                                                resamples: method.bootstrapResamples, seed: seed(salt))
        let p = SampleStatistics.mannWhitneyP(values, baseline)
        let low = ci?.low ?? ratio, high = ci?.high ?? ratio
        // Beyond the threshold means the whole interval is: a point estimate just over 5% on
        // five noisy repetitions is not a 5% change.
        let beyond = low > 1 + method.threshold || high < 1 - method.threshold
        return RatioSummary(ratio: ratio, ciLow: low, ciHigh: high, pValue: p, significant: p < method.alpha && beyond)
    }

    /// One stream per figure: the same data give the same interval, whatever else is in the report.
    func seed(_ salt: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ method.bootstrapSeed
        for b in salt.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
