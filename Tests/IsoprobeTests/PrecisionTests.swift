import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// Paired rounds with a precision target, on real runs: a container held to 90% of a CPU
    /// runs compute about 11% slower (the quota's throttling), and the rule calls it slower at
    /// the default threshold; the same container without the limit is not called anything.
    /// The quota only binds when the workload would otherwise get more than 90% of a CPU: on
    /// a machine busy with other work both sides slow alike.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root, BPF and runc"))
    struct PrecisionTests {
        func wallVsNative(_ extra: [String]) throws -> (RatioSummary, SummaryMethod) {
            let r = try isoprobe(["run", "--env", "native,container", "--workload", "compute:iterations=300000000",
                                  "--probes", "none", "--precision", "0.03", "--max-time", "90", "--quiet"] + extra, timeout: 200)
            #expect(r.process.status == 0, "\(r.process.stderr)")
            let summary = try #require(r.document?.summary, "no summary: \(r.process.stderr)")
            let wall = try #require(summary.metrics.first { $0.environment == "container" && $0.metric == "wall_ns" }?.vsNative)
            return (wall, summary.method)
        }

        @Test func aSlowerContainerIsCalledSlowerAndAnEqualOneIsNot() throws {
            try Requirements.requireRootAndBPF()
            _ = try Requirements.requireRunc()
            let (slower, method) = try wallVsNative(["--cpus", "0.9"])
            #expect(method.precisionTarget == 0.03 && method.repetitions >= 8)
            #expect(slower.method == .paired && (slower.n ?? 0) >= 8)
            #expect(slower.significant && slower.ratio > 1.05, "limited to 0.9 CPU: \(slower)")
            let (same, _) = try wallVsNative([])
            #expect(!same.significant, "no limit: \(same)")
            #expect((same.precision ?? 1) <= 0.03 || method.stoppedBy == .maxTime, "\(same)")
            #expect(same.minimumDetectable != nil)
        }
    }
}
