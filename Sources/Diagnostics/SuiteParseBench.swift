import Foundation
import Host
import IsoprobeCore
import Suite

/// How reading a suite file grows with its size: suites of a small and a large number of
/// `[[workload]]` tables, each parsed and checked as `run --suite` does, interleaved per
/// repetition. Linear growth gives a ratio near large/small; copying on every append would
/// give its square.
public enum SuiteParseBench {
    public struct Result: Sendable {
        public var small: Int
        public var large: Int
        public var smallSeconds: [Double]
        public var largeSeconds: [Double]

        public var ratio: Double? {
            guard let s = Statistics.median(smallSeconds), let l = Statistics.median(largeSeconds), s > 0 else { return nil }
            return l / s
        }

        public func render() -> String {
            var out = "suite file read and checked, median of \(smallSeconds.count):\n"
            for (count, seconds) in [(small, smallSeconds), (large, largeSeconds)] {
                out += String(format: "  %7d [[workload]] tables  %9.1f ms  (min %.1f, max %.1f)\n", count,
                              (Statistics.median(seconds) ?? 0) * 1e3, (seconds.min() ?? 0) * 1e3, (seconds.max() ?? 0) * 1e3)
            }
            if let ratio {
                out += String(format: "%d / %d tables: %.2fx the time (linear: %.0fx)\n", large, small, ratio,
                              Double(large) / Double(small))
            }
            return out
        }
    }

    /// A suite of `count` distinct workloads, as a file would hold them.
    public static func suiteText(workloads count: Int) -> String {
        var text = "name = \"bench\"\nrepetitions = 1\n"
        text.reserveCapacity(count * 48)
        for n in 0..<count { text += "\n[[workload]]\nspec = \"getpid:count=\(n + 1)\"\nrepetitions = 1\n" }
        return text
    }

    public static func run(small: Int, large: Int, repetitions: Int, progress: (String) -> Void) throws -> Result {
        let texts = [small, large].map { suiteText(workloads: $0) }
        var result = Result(small: small, large: large, smallSeconds: [], largeSeconds: [])
        for rep in 1...repetitions {
            var seconds: [Double] = []
            for (count, text) in zip([small, large], texts) {
                try Interruption.shared.check()
                let start = ContinuousClock.now
                let suite = try SuiteFile.parse(text: text, path: "bench.toml")
                let elapsed = ContinuousClock.now - start
                guard suite.workloads.count == count else {
                    throw IsoprobeError(.failed, "the benchmark suite read as \(suite.workloads.count) workloads, not \(count)")
                }
                seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            result.smallSeconds.append(seconds[0])
            result.largeSeconds.append(seconds[1])
            progress(String(format: "rep %d: %d tables %.1f ms, %d tables %.1f ms", rep, small, seconds[0] * 1e3,
                            large, seconds[1] * 1e3))
        }
        return result
    }
}
