import Foundation

/// Statistics of paired rounds: in each round every environment of a workload ran once, so
/// each round gives one log-ratio against native, d = ln(x / x_native), with the round's
/// drift and order effects cancelled. The ratio is the geometric mean of the rounds' ratios,
/// exp(mean d); its interval a percentile bootstrap over rounds; its test an exact sign-flip
/// permutation test. Each run is one value: per-operation samples within a run are never
/// pooled.
public enum PairedStatistics {
    /// Exact enumeration of sign flips up to this many rounds (65,536 arrangements); Monte
    /// Carlo with `randomFlips` draws beyond.
    public static let exactUpTo = 16
    public static let randomFlips = 20_000

    /// ln(a[i] / b[i]) for the pairs where both are positive.
    public static func logRatios(_ a: [Double], _ b: [Double]) -> [Double] {
        zip(a, b).compactMap { x, y in x > 0 && y > 0 ? log(x / y) : nil }
    }

    public static func mean(_ d: [Double]) -> Double { d.isEmpty ? 0 : d.reduce(0, +) / Double(d.count) }

    /// Percentile bootstrap interval of the mean over rounds.
    public static func meanInterval(_ d: [Double], confidence: Double, resamples: Int, seed: UInt64) -> (low: Double, high: Double)? {
        guard !d.isEmpty else { return nil }
        var rng = SplitMix64(seed: seed)
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var sum = 0.0
            for _ in d.indices { sum += d[rng.next(below: d.count)] }
            means[r] = sum / Double(d.count)
        }
        return SampleStatistics.percentileInterval(&means, confidence: confidence)
    }

    /// Percentile bootstrap interval of mean(b) - mean(a), the rounds of each resampled on
    /// their own: two sessions' log-ratios, which no round pairs across.
    public static func differenceInterval(_ a: [Double], _ b: [Double], confidence: Double, resamples: Int,
                                          seed: UInt64) -> (low: Double, high: Double)? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        var rng = SplitMix64(seed: seed)
        var differences = [Double](repeating: 0, count: resamples)
        func resampledMean(_ d: [Double]) -> Double {
            var sum = 0.0
            for _ in d.indices { sum += d[rng.next(below: d.count)] }
            return sum / Double(d.count)
        }
        for r in 0..<resamples { differences[r] = resampledMean(b) - resampledMean(a) }
        return SampleStatistics.percentileInterval(&differences, confidence: confidence)
    }

    /// Two-sided p of the sign-flip test of mean(d) = 0: the share of sign arrangements whose
    /// |mean| is at least the observed one. Exact up to `exactUpTo` rounds.
    public static func signFlipP(_ d: [Double], seed: UInt64) -> Double {
        let n = d.count
        guard n > 0 else { return 1 }
        let observed = abs(d.reduce(0, +))
        // A hair of slack so arrangements equal to the observed one count despite rounding.
        let bar = observed * (1 - 1e-12)
        if n <= exactUpTo {
            // Gray code order: each arrangement differs from the last in one sign.
            var sum = d.reduce(0, +)
            var flipped = [Bool](repeating: false, count: n)
            var atLeast = abs(sum) >= bar ? 1 : 0
            for k in 1..<(1 << n) {
                let i = k.trailingZeroBitCount
                flipped[i].toggle()
                sum += flipped[i] ? -2 * d[i] : 2 * d[i]
                if abs(sum) >= bar { atLeast += 1 }
            }
            return Double(atLeast) / Double(1 << n)
        }
        var rng = SplitMix64(seed: seed)
        var atLeast = 0
        for _ in 0..<randomFlips {
            var sum = 0.0
            for x in d { sum += rng.next() & 1 == 0 ? x : -x }
            if abs(sum) >= bar { atLeast += 1 }
        }
        return Double(atLeast + 1) / Double(randomFlips + 1)
    }

    /// The smallest p the test can give with n rounds: every round's sign the same.
    public static func smallestP(rounds n: Int) -> Double { n >= 63 ? 0 : 2 / Double(UInt64(1) << UInt64(n)) }

    /// The smallest change the rule could call significant at this n and spread, as a
    /// fraction (0.07: 7%): the interval, as wide as it is, must clear the threshold whole.
    /// nil when n rounds cannot reach p < alpha at all.
    public static func minimumDetectable(rounds n: Int, logInterval: (low: Double, high: Double), threshold: Double,
                                         alpha: Double) -> Double? {
        guard smallestP(rounds: n) < alpha else { return nil }
        let halfWidth = (logInterval.high - logInterval.low) / 2
        return exp(log(1 + threshold) + halfWidth) - 1
    }
}
