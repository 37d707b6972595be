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

    /// One session in paired rounds: native and a container, each round's host speed shared
    /// by both (a drift the rounds' pairs cancel), the container `cost` times native.
    func session(host: Double, cost: Double, seed: UInt64, rounds: Int = 10) -> [RunResult] {
        let drift = sample(1, spread: 0.10, n: rounds, seed: seed)
        let own = sample(1, spread: 0.02, n: rounds, seed: seed + 1)
        let envNoise = sample(1, spread: 0.02, n: rounds, seed: seed + 2)
        var runs: [RunResult] = []
        for i in 0..<rounds {
            let speed: Double = 1e6 * host * drift[i]
            runs.append(run("native", wall: speed * own[i], rep: i + 1))
            runs.append(run("container", wall: speed * cost * envNoise[i], rep: i + 1))
        }
        return runs
    }

    @Test func aHostThatSlowedIsReportedOnNativeOnceAndAnEnvironmentsOwnCostOnIt() throws {
        let detector = ChangeDetector(method: method)
        let a = session(host: 1, cost: 1.1, seed: 50)
        func wall(_ changes: [MetricChange], _ env: String) throws -> MetricChange {
            try #require(changes.first { $0.metric == "wall_ns" && $0.environment == env })
        }
        // The whole host 30% slower: native regresses; the container's cost is unchanged.
        let slowHost = detector.changes(from: a, to: session(host: 1.3, cost: 1.1, seed: 60))
        #expect(try wall(slowHost, "native").verdict == .regression)
        #expect(try wall(slowHost, "native").basis == .absolute)
        let container = try wall(slowHost, "container")
        #expect(container.basis == .costVsNative && container.unit == "x")
        #expect(container.verdict == .unchanged, "cost \(container.medianA) -> \(container.medianB): \(container.ratio)")
        #expect(abs(container.medianA - 1.1) < 0.03 && abs(container.medianB - 1.1) < 0.03)
        // The container alone 30% dearer: native is unchanged, the container regresses.
        let dearer = detector.changes(from: a, to: session(host: 1, cost: 1.43, seed: 70))
        #expect(try wall(dearer, "native").verdict == .unchanged)
        let c = try wall(dearer, "container")
        #expect(c.verdict == .regression, "\(c.ratio)")
        #expect(abs(c.ratio.ratio - 1.3) < 0.05 && c.ratio.ciLow > 1.2, "\(c.ratio)")
        #expect(c.ratio.minimumDetectable != nil)
        // Sessions of one host and one cost: nothing called, whatever each session's drift.
        for seed in UInt64(100)..<UInt64(120) {
            let flagged = detector.changes(from: session(host: 1, cost: 1.1, seed: seed),
                                           to: session(host: 1, cost: 1.1, seed: seed + 1000))
                .filter { $0.verdict != .unchanged && $0.environment == "container" }
            #expect(flagged.isEmpty, "seed \(seed): \(flagged.map { "\($0.metric) \($0.ratio.ratio)" })")
        }
    }
}

/// `--network bridge,host`: container-host is judged against the bridged container as well
/// as native, by the same paired rounds.
@Suite struct HostNetworkPairingTests {
    @Test func containerHostIsPairedWithTheBridgedContainerByRound() throws {
        let method = SummaryMethod(repetitions: 8, warmups: 0, order: "interleaved")
        let native = sample(1e6, n: 8, seed: 11).enumerated().map { run("native", wall: $1, rep: $0 + 1) }
        let bridged = sample(1.6e6, n: 8, seed: 12).enumerated().map { run("container", wall: $1, rep: $0 + 1) }
        let host = sample(1.2e6, n: 8, seed: 13).enumerated().map { run("container-host", wall: $1, rep: $0 + 1) }
        let report = Summarizer(method: method).summarize(native + bridged + host)
        let wall = report.metrics.filter { $0.metric == "wall_ns" }
        let hostWall = try #require(wall.first { $0.environment == "container-host" })
        let r = try #require(hostWall.vsContainer)
        // The geometric mean of the rounds' ratios, host over bridge.
        let logs = zip(host, bridged).map { log(Double($0.wallNs) / Double($1.wallNs)) }
        #expect(abs(r.ratio - exp(logs.reduce(0, +) / 8)) < 1e-9)
        #expect(r.method == .paired && r.n == 8 && r.ciLow <= r.ratio && r.ratio <= r.ciHigh)
        #expect(r.ratio < 0.8 && r.significant, "a quarter less time than the bridge: \(r)")
        #expect(hostWall.vsNative != nil, "still judged against native")
        #expect(wall.filter { $0.environment != "container-host" }.allSatisfy { $0.vsContainer == nil })
    }

    @Test func withoutTheBridgedContainerThereIsNoSuchRatio() throws {
        let method = SummaryMethod(repetitions: 3, warmups: 0, order: "interleaved")
        let runs = (1...3).flatMap { [run("native", wall: 1e6, rep: $0), run("container-host", wall: 1.1e6, rep: $0)] }
        let report = Summarizer(method: method).summarize(runs)
        #expect(report.metrics.allSatisfy { $0.vsContainer == nil })
    }
}
