import Foundation
import IsoprobeCore

/// Order statistics, bootstrap intervals and rank tests over small samples (a handful of
/// repetitions), where normal-theory intervals would claim more than the data support.
public enum SampleStatistics {
    /// The q-quantile with linear interpolation between order statistics (Hyndman-Fan type 7,
    /// the default of R and numpy).
    public static func quantile(_ values: [Double], _ q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        return quantile(sorted: values.sorted(), q)
    }

    static func quantile(sorted s: [Double], _ q: Double) -> Double {
        let h = Double(s.count - 1) * min(max(q, 0), 1)
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }

    /// The one median (`Statistics.median`; type 7's at 0.5 is the same number).
    public static func median(_ values: [Double]) -> Double? { Statistics.median(values) }

    /// Percentile bootstrap interval of the median.
    public static func medianInterval(_ values: [Double], confidence: Double = 0.95, resamples: Int = 10_000,
                                      seed: UInt64) -> (low: Double, high: Double)? {
        guard !values.isEmpty else { return nil }
        var rng = SplitMix64(seed: seed)
        var medians = [Double](repeating: 0, count: resamples)
        var sample = values
        for r in 0..<resamples {
            for i in sample.indices { sample[i] = values[rng.next(below: values.count)] }
            sample.sort()
            medians[r] = quantile(sorted: sample, 0.5)
        }
        return percentileInterval(&medians, confidence: confidence)
    }

    /// Percentile bootstrap interval of median(a) / median(b), each side resampled on its own.
    public static func ratioInterval(_ a: [Double], _ b: [Double], confidence: Double = 0.95, resamples: Int = 10_000,
                                     seed: UInt64) -> (low: Double, high: Double)? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        var rng = SplitMix64(seed: seed)
        var ratios: [Double] = []
        ratios.reserveCapacity(resamples)
        var sa = a, sb = b
        for _ in 0..<resamples {
            for i in sa.indices { sa[i] = a[rng.next(below: a.count)] }
            for i in sb.indices { sb[i] = b[rng.next(below: b.count)] }
            sa.sort()
            sb.sort()
            let mb = quantile(sorted: sb, 0.5)
            if mb != 0 { ratios.append(quantile(sorted: sa, 0.5) / mb) }
        }
        guard !ratios.isEmpty else { return nil }
        return percentileInterval(&ratios, confidence: confidence)
    }

    static func percentileInterval(_ values: inout [Double], confidence: Double) -> (low: Double, high: Double) {
        values.sort()
        let tail = (1 - confidence) / 2
        return (quantile(sorted: values, tail), quantile(sorted: values, 1 - tail))
    }

    /// Two-sided p-value of the Mann-Whitney U test. Exact (the distribution of U counted
    /// over every arrangement) when there are no ties and both samples are small; otherwise
    /// the normal approximation with tie and continuity corrections.
    public static func mannWhitneyP(_ a: [Double], _ b: [Double]) -> Double {
        let n1 = a.count, n2 = b.count
        guard n1 > 0, n2 > 0 else { return 1 }
        let all = (a.map { ($0, 0) } + b.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        // Mid-ranks for ties.
        var ranks = [Double](repeating: 0, count: all.count)
        var tieTerm = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let rank = Double(i + j + 2) / 2
            for k in i...j { ranks[k] = rank }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        let r1 = zip(all, ranks).filter { $0.0.1 == 0 }.reduce(0.0) { $0 + $1.1 }
        let u1 = r1 - Double(n1 * (n1 + 1)) / 2
        let u = min(u1, Double(n1 * n2) - u1)
        if tieTerm == 0 && n1 <= 30 && n2 <= 30 {
            return min(1, 2 * exactLowerTail(u: Int(u.rounded()), n1: n1, n2: n2))
        }
        let n = Double(n1 + n2)
        let mean = Double(n1 * n2) / 2
        let variance = Double(n1 * n2) / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return 1 }
        let z = (abs(u1 - mean) - 0.5) / variance.squareRoot()
        return min(1, erfc(max(z, 0) / 2.0.squareRoot()))
    }

    /// P(U <= u) under the null: arrangements of n1 and n2 items with U <= u, counted by
    /// the recurrence f(u; m, n) = f(u - n; m - 1, n) + f(u; m, n - 1).
    static func exactLowerTail(u: Int, n1: Int, n2: Int) -> Double {
        let maxU = n1 * n2
        // counts[m][n][k]: arrangements of m and n items with U = k; built row by row.
        var prev = [[Double]](repeating: [], count: n2 + 1) // m - 1
        for n in 0...n2 { prev[n] = [1] + [Double](repeating: 0, count: maxU) } // m = 0: U = 0 once
        if n1 > 0 {
            for _ in 1...n1 {
                var cur = [[Double]](repeating: [Double](repeating: 0, count: maxU + 1), count: n2 + 1)
                cur[0][0] = 1
                for n in 1...max(n2, 1) where n <= n2 {
                    for k in 0...maxU {
                        let fromM = k - n >= 0 ? prev[n][k - n] : 0
                        cur[n][k] = fromM + cur[n - 1][k]
                    }
                }
                prev = cur
            }
        }
        let dist = prev[n2]
        let total = dist.reduce(0, +)
        let below = dist.prefix(max(0, min(u, maxU)) + 1).reduce(0, +)
        return below / total
    }
}

/// A small, fast, seedable generator, so a report's intervals are the same every time.
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}
