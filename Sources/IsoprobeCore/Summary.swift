import Foundation

/// The statistics of a set of runs, as every report format shows them. Computed by the
/// Analysis module from `RunResult`s; carried in `ResultDocument.summary`.
public struct SummaryReport: Codable, Sendable, Equatable {
    public var method: SummaryMethod
    /// One entry per (workload, environment, metric), in a stable order: workloads as
    /// first seen, environments as first seen, metrics in `MetricDefinition` order.
    public var metrics: [MetricSummary]

    public init(method: SummaryMethod, metrics: [MetricSummary]) {
        self.method = method
        self.metrics = metrics
    }
}

/// How the figures were made, so a reader can judge them.
public struct SummaryMethod: Codable, Sendable, Equatable {
    /// Measured repetitions per workload and environment (warm-ups excluded).
    public var repetitions: Int
    /// Runs discarded before the measured ones, per workload and environment.
    public var warmups: Int
    /// "repetitions outermost, environments innermost" and the like.
    public var order: String
    public var confidence: Double          // 0.95
    public var bootstrapResamples: Int     // e.g. 10000
    public var bootstrapSeed: UInt64
    /// A difference is significant only when p < alpha ...
    public var alpha: Double               // 0.01
    /// ... and the ratio's bootstrap interval lies wholly beyond 1 ± this fraction.
    public var threshold: Double           // 0.05
    public var test: String
    /// `--precision`: rounds went on until every gating ratio's interval was within ± this
    /// fraction of the ratio (primary metric, wall time and CPU time); nil without a target.
    public var precisionTarget: Double?
    /// Why the rounds stopped: `repetitions` (the number asked for), `precision` (the target
    /// met), `max_time` or `max_reps` (a limit reached first: the report says which
    /// comparisons fell short).
    public var stoppedBy: StopReason?

    /// The test of ratios to native from paired rounds.
    public static let pairedTest = "paired rounds: the ratio is the geometric mean of the rounds' ratios to native, its interval a percentile bootstrap over rounds; two-sided sign-flip permutation test of the rounds' log-ratios, exact up to 16 rounds"

    public enum StopReason: String, Codable, Sendable {
        case repetitions, precision
        case maxTime = "max_time"
        case maxReps = "max_reps"
        case interrupted
    }

    public init(repetitions: Int, warmups: Int, order: String, confidence: Double = 0.95,
                bootstrapResamples: Int = 10_000, bootstrapSeed: UInt64 = 0x15_0b_e5, alpha: Double = 0.01,
                threshold: Double = 0.05,
                test: String = "two-sided Mann-Whitney U: exact without ties up to 30 a side, else normal with tie correction") {
        self.repetitions = repetitions
        self.warmups = warmups
        self.order = order
        self.confidence = confidence
        self.bootstrapResamples = bootstrapResamples
        self.bootstrapSeed = bootstrapSeed
        self.alpha = alpha
        self.threshold = threshold
        self.test = test
    }
}

/// One metric of one workload in one environment over its repetitions.
public struct MetricSummary: Codable, Sendable, Equatable {
    public var workload: String         // WorkloadSpec text, e.g. "getpid:count=100000"
    public var environment: String      // "native", "container", "vm"
    public var metric: String           // MetricDefinition.name, e.g. "wall_ns"
    public var unit: String             // "ns", "count", "bytes", "ns/op"
    public var n: Int
    public var values: [Double]         // the measured values, in repetition order
    public var median: Double
    public var q1: Double
    public var q3: Double
    public var iqr: Double { q3 - q1 }
    /// Percentile bootstrap interval of the median.
    public var ciLow: Double
    public var ciHigh: Double
    /// Against native's same workload and metric; nil for native itself, or when native
    /// did not run or its median is 0.
    public var vsNative: RatioSummary?
    /// `container-host` only: against the bridged container's same workload and metric
    /// (`container`), paired by round as `vsNative` is: what the host's namespace gives or
    /// costs against isoprobe's bridge. nil elsewhere, or when the bridged container did not run.
    public var vsContainer: RatioSummary?

    public init(workload: String, environment: String, metric: String, unit: String, n: Int, values: [Double],
                median: Double, q1: Double, q3: Double, ciLow: Double, ciHigh: Double, vsNative: RatioSummary? = nil) {
        self.workload = workload
        self.environment = environment
        self.metric = metric
        self.unit = unit
        self.n = n
        self.values = values
        self.median = median
        self.q1 = q1
        self.q3 = q3
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.vsNative = vsNative
    }
}

/// median(this) / median(baseline), with a bootstrap interval and a two-sided test.
public struct RatioSummary: Codable, Sendable, Equatable {
    public var ratio: Double
    public var ciLow: Double
    public var ciHigh: Double
    public var pValue: Double
    /// p < alpha and the interval wholly above 1 + threshold or below 1 - threshold.
    public var significant: Bool
    /// `paired`: from the rounds, each round's ratio to its own baseline run (the geometric
    /// mean of the rounds' ratios, a bootstrap over rounds, a sign-flip test). `unpaired`:
    /// the ratio of medians, each side resampled on its own, a rank test. Absent in
    /// documents before schema 4 (unpaired).
    public var method: Method?
    /// Rounds paired (paired), or the smaller side's runs (unpaired).
    public var n: Int?
    /// Half the interval's width over the ratio: 0.03 is ±3%.
    public var precision: Double?
    /// The smallest change, as a fraction of 1, the rule could have called significant with
    /// this n and spread; nil when n is too small for p < alpha at all.
    public var minimumDetectable: Double?

    public enum Method: String, Codable, Sendable { case paired, unpaired }

    public init(ratio: Double, ciLow: Double, ciHigh: Double, pValue: Double, significant: Bool,
                method: Method? = nil, n: Int? = nil, minimumDetectable: Double? = nil) {
        self.ratio = ratio
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.pValue = pValue
        self.significant = significant
        self.method = method
        self.n = n
        self.precision = ratio > 0 ? (ciHigh - ciLow) / 2 / ratio : nil
        self.minimumDetectable = minimumDetectable
    }
}

/// One metric compared between two sets of runs (`isoprobe compare A B`).
public struct MetricChange: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable { case regression, improvement, unchanged }
    /// What was compared. `absolute`: the figure itself (native runs, and runs without
    /// native rounds to pair with). `costVsNative`: the environment's cost against native,
    /// from each session's paired rounds, so that a change of the host that moves native
    /// and the environment alike is reported once, on native.
    public enum Basis: String, Codable, Sendable { case absolute, costVsNative = "cost_vs_native" }
    public var workload: String
    public var environment: String
    public var metric: String
    public var unit: String
    /// The medians (absolute), or the geometric-mean costs against native (costVsNative).
    public var medianA: Double
    public var medianB: Double
    /// B against A: median(B) / median(A), or cost(B) / cost(A), with its bootstrap interval.
    public var ratio: RatioSummary
    public var verdict: Verdict
    public var basis: Basis

    public init(workload: String, environment: String, metric: String, unit: String, medianA: Double,
                medianB: Double, ratio: RatioSummary, verdict: Verdict, basis: Basis = .absolute) {
        self.basis = basis
        self.workload = workload
        self.environment = environment
        self.metric = metric
        self.unit = unit
        self.medianA = medianA
        self.medianB = medianB
        self.ratio = ratio
        self.verdict = verdict
    }
}
