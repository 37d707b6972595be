import Analysis
import Foundation
import IsoprobeCore
import Testing

@Suite struct PairedTests {
    /// The Gray-code enumeration gives what a brute-force count over every arrangement gives.
    @Test func signFlipIsExact() {
        let d = [0.03, -0.01, 0.02, 0.05, 0.04, -0.02, 0.01, 0.03, 0.02]
        var atLeast = 0
        let observed = abs(d.reduce(0, +))
        for mask in 0..<(1 << d.count) {
            let sum = d.indices.reduce(0.0) { $0 + (mask & (1 << $1) != 0 ? -d[$1] : d[$1]) }
            if abs(sum) >= observed * (1 - 1e-12) { atLeast += 1 }
        }
        #expect(PairedStatistics.signFlipP(d, seed: 1) == Double(atLeast) / Double(1 << d.count))
        // Eight rounds all one way: the smallest p there is, 2/256, below 0.01; seven cannot.
        #expect(PairedStatistics.signFlipP(Array(repeating: 0.1, count: 8), seed: 1) == 2.0 / 256)
        #expect(PairedStatistics.smallestP(rounds: 7) > 0.01 && PairedStatistics.smallestP(rounds: 8) < 0.01)
        // Beyond the exact range a seeded Monte Carlo estimate, close to the truth.
        let balanced = (0..<24).map { $0 % 2 == 0 ? 1.0 : -1.0 }
        #expect(PairedStatistics.signFlipP(balanced, seed: 7) == 1)
        let oneWay = Array(repeating: 0.01, count: 24)
        #expect(PairedStatistics.signFlipP(oneWay, seed: 7) == 1 / Double(PairedStatistics.randomFlips + 1))
    }

    func method(threshold: Double = 0.05) -> SummaryMethod {
        SummaryMethod(repetitions: 8, warmups: 0, order: "", threshold: threshold, test: SummaryMethod.pairedTest)
    }

    /// Each round's pair shares its drift: the ratio comes out exact whatever the drift, where
    /// the unpaired ratio of medians is lost in it.
    @Test func pairingCancelsDrift() throws {
        let native = (0..<10).map { 100.0 * (1 + 0.2 * Double($0)) }   // the machine slows 3x over the rounds
        let container = native.map { $0 * 1.10 }
        let s = Summarizer(method: method())
        let paired = try #require(s.comparePaired(container, against: native, salt: "x"))
        #expect(abs(paired.ratio - 1.10) < 1e-9 && abs(paired.ciLow - 1.10) < 1e-9 && abs(paired.ciHigh - 1.10) < 1e-9)
        #expect(paired.significant && paired.method == .paired && paired.n == 10)
        #expect(paired.precision == 0)
        let unpaired = try #require(s.compare(container, against: native, salt: "x"))
        #expect(!unpaired.significant && unpaired.ciHigh - unpaired.ciLow > 0.5, "\(unpaired)")
    }

    /// A steady 10% against noise of ±1% is called; no change, or too few rounds, is not.
    @Test func theRuleCallsATenPercentChangeAndNotNoise() throws {
        var rng = SplitMix64(seed: 3)
        func noise() -> Double { 1 + (Double(rng.next() % 2001) / 1000 - 1) * 0.01 }
        let native = (0..<8).map { _ in 1000 * noise() }
        let slower = native.map { $0 * 1.10 * noise() }
        let same = native.map { $0 * noise() }
        let s = Summarizer(method: method())
        let called = try #require(s.comparePaired(slower, against: native, salt: "a"))
        #expect(called.significant && called.ratio > 1.08 && called.ratio < 1.12)
        let notCalled = try #require(s.comparePaired(same, against: native, salt: "b"))
        #expect(!notCalled.significant)
        // The smallest detectable change is the threshold plus the interval's half-width.
        let mde = try #require(notCalled.minimumDetectable)
        #expect(mde > 0.05 && mde < 0.08, "\(mde)")
        let few = try #require(s.comparePaired(Array(slower.prefix(5)), against: Array(native.prefix(5)), salt: "c"))
        #expect(!few.significant && few.minimumDetectable == nil, "five rounds cannot reach p < 0.01")
    }

    /// A change below the metric's floor is the measurement's grain: a few pages of RSS are
    /// never a verdict, however steady; a megabyte is.
    @Test func changesBelowTheFloorAreNotCalled() throws {
        let s = Summarizer(method: method())
        let floor = try #require(MetricDefinition.named("peak_rss_bytes")?.floor)
        let before = Array(repeating: 604.0 * 1024, count: 10)
        let pages = before.map { $0 + 48 * 1024 }
        let megabyte = before.map { $0 + 1024 * 1024 }
        #expect(s.compare(pages, against: before, salt: "a")?.significant == true, "without a floor a steady 8% is called")
        #expect(s.compare(pages, against: before, salt: "a", floor: floor)?.significant == false)
        #expect(s.comparePaired(pages, against: before, salt: "b", floor: floor)?.significant == false)
        #expect(s.compare(megabyte, against: before, salt: "c", floor: floor)?.significant == true)
    }

    func run(_ env: String, _ rep: Int, wall: UInt64) -> RunResult {
        RunResult(environment: env, workload: WorkloadDescription(spec: "w", name: "w", parameters: [:], command: []),
                  repetition: rep, startedAt: Date(), wallNs: wall, cpuUserNs: wall / 2, cpuSystemNs: 0,
                  exit: ExitDescription(kind: "exited", code: 0, signal: nil, description: "exited with status 0"),
                  workloadReport: nil, target: TargetDescription(cgroupPath: "/x", cgroupId: 1, cgroupLevel: 1),
                  probes: [], syscalls: [], sched: nil, memory: nil)
    }

    /// Runs are matched by round; a round one side lost is left out of the pairs.
    @Test func summariesPairByRound() throws {
        var runs: [RunResult] = []
        for r in 1...9 {
            runs.append(run("native", r, wall: UInt64(1_000_000 * r)))
            if r != 4 { runs.append(run("container", r, wall: UInt64(1_200_000 * r))) }
        }
        let summary = Summarizer(method: method()).summarize(runs)
        let wall = try #require(summary.metrics.first { $0.environment == "container" && $0.metric == "wall_ns" }?.vsNative)
        #expect(wall.method == .paired && wall.n == 8 && abs(wall.ratio - 1.2) < 1e-9)
        // The judge: every judged ratio within ±3% here.
        #expect(PrecisionJudge(method: method(), target: 0.03).isMet(by: runs, workload: try WorkloadSpec.parse("w")))
    }
}
