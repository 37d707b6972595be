import Analysis
import Foundation
import IsoprobeCore
import Testing

func run(_ env: String, _ spec: String = "compute", wall: Double, rep: Int = 1, code: Int32 = 0) -> RunResult {
    RunResult(environment: env, workload: WorkloadDescription(spec: spec, name: spec, parameters: [:], command: []),
              repetition: rep, startedAt: Date(timeIntervalSince1970: 0), wallNs: UInt64(wall), cpuUserNs: UInt64(wall / 2),
              cpuSystemNs: UInt64(wall / 4),
              exit: ExitDescription(kind: "exited", code: code, signal: nil, description: "exited \(code)"),
              workloadReport: WorkloadReport(ops: 1000, elapsedNs: UInt64(wall), nsPerOp: wall / 1000, extra: [:]),
              target: TargetDescription(cgroupPath: "/x", cgroupId: 1, cgroupLevel: 1), probes: [], syscalls: [],
              sched: nil, memory: nil)
}

/// Normal-ish noise around a centre, reproducible.
func sample(_ centre: Double, spread: Double = 0.02, n: Int = 5, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in
        let u = (0..<6).map { _ in Double(rng.next() % 1_000_000) / 1_000_000 }.reduce(0, +) - 3
        return centre * (1 + spread * u / 1.5)
    }
}

@Suite struct SummaryTests {
    let method = SummaryMethod(repetitions: 5, warmups: 1, order: "interleaved")

    @Test func aTwiceSlowerEnvironmentIsSignificantAndTheSameIsNot() throws {
        // Eight rounds: fewer cannot reach p < 0.01 in an exact paired test.
        let native = sample(1e6, n: 8, seed: 1).enumerated().map { run("native", wall: $1, rep: $0 + 1) }
        let slow = sample(2e6, n: 8, seed: 2).enumerated().map { run("container", wall: $1, rep: $0 + 1) }
        let same = sample(1e6, n: 8, seed: 3).enumerated().map { run("vm", wall: $1, rep: $0 + 1) }
        let report = Summarizer(method: method).summarize(native + slow + same)
        let wall = report.metrics.filter { $0.metric == "wall_ns" }
        #expect(wall.map(\.environment) == ["native", "container", "vm"])
        #expect(wall[0].vsNative == nil)
        let c = try #require(wall[1].vsNative)
        #expect(abs(c.ratio - 2) < 0.1)
        #expect(c.ciLow < c.ratio && c.ratio < c.ciHigh)
        #expect(c.significant, "p \(c.pValue)")
        let v = try #require(wall[2].vsNative)
        #expect(!v.significant, "same distribution called significant: ratio \(v.ratio), p \(v.pValue)")
        #expect(wall[1].n == 8 && wall[1].values.count == 8)
        #expect(wall[1].q1 <= wall[1].median && wall[1].median <= wall[1].q3)
        #expect(wall[1].ciLow <= wall[1].median && wall[1].median <= wall[1].ciHigh)
        // Metrics a run does not have are left out (no probes: no syscall figures).
        #expect(!report.metrics.contains { $0.metric == "syscalls" })
        #expect(report.metrics.contains { $0.metric == "workload_ns_per_op" })
    }

    @Test func failedRunsDoNotCount() throws {
        let runs = [run("native", wall: 100), run("native", wall: 110), run("native", wall: 9_999, code: 1)]
        let wall = try #require(Summarizer(method: method).summarize(runs).metrics.first { $0.metric == "wall_ns" })
        #expect(wall.n == 2)
        #expect(wall.median == 105)
    }

    @Test func compareFlagsASlowdownAndNothingBetweenTwoDrawsOfOneDistribution() throws {
        let detector = ChangeDetector(method: method)
        let a = sample(1e6, seed: 11).map { run("native", wall: $0) }
        let slower = sample(2e6, seed: 12).map { run("native", wall: $0) }
        let regressions = detector.changes(from: a, to: slower).filter { $0.verdict == .regression }
        #expect(regressions.contains { $0.metric == "wall_ns" })
        #expect(detector.changes(from: slower, to: a).contains { $0.metric == "wall_ns" && $0.verdict == .improvement })
        for seed in UInt64(20)..<UInt64(40) {
            let x = sample(1e6, seed: seed).map { run("native", wall: $0) }
            let y = sample(1e6, seed: seed + 100).map { run("native", wall: $0) }
            let flagged = detector.changes(from: x, to: y).filter { $0.verdict != .unchanged }
            #expect(flagged.isEmpty, "seed \(seed): \(flagged.map { "\($0.metric) \($0.ratio.ratio)" })")
        }
    }
}
