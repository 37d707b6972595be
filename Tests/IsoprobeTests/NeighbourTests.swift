import Container
import Foundation
import Neighbours
import Harness
import IsoprobeCore
import Testing
import Verify
import VMEnvironment

extension KernelTests {
    /// Performance isolation: a victim alone, then beside a noisy neighbour in a second
    /// guest, measured for real. Each case ends with the leftover checks of the other kernel tests.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct NeighbourTests {
        func resources() throws -> Resources {
            let found = try Resources.locate(probesDirectory: Repo.probesDirectory)
            try #require(found.workloadsDirectory != nil, "fixture workloads not found: run `make workloads`")
            return found
        }

        func containerEnvironment() throws -> IsolationEnvironment {
            try Requirements.requireKernelTestSetup()
            _ = try Requirements.requireRunc()
            return .container(ContainerEnvironment.Options())
        }

        /// A victim and a CPU hog pinned to the same CPU: fair group scheduling gives each
        /// container half of it, so the victim takes about twice as long.
        @Test func cpuHogOnTheVictimsCPUSlowsItDown() throws {
            let environment = try containerEnvironment()
            let before = Leftovers.Snapshot.take()
            let settings = PerformanceIsolation.Settings(
                victim: WorkloadSpec(name: "compute", parameters: [("iterations", "100000000"), ("cpu", "0")]),
                repetitions: 3, warmups: 1, neighbours: [.cpuHog], neighbour: .init(cpuWorkers: 1, cpuPin: 0), timeout: 60)
            let result = try PerformanceIsolation(resources: try resources(), settings: settings).measure(environment)
            let impact = try #require(result.neighbours.first)
            #expect(result.alone.completed && result.alone.wallNs.count == 3)
            #expect(impact.neighbour == .cpuHog)
            #expect(impact.slowdown > 1.2, "victim \(result.alone.wallNs) alone vs \(impact.victim.wallNs) beside the hog")
            // The workload's own timing agrees that it was slowed down.
            #expect((impact.selfTimedSlowdown ?? 0) > 1.2, "self-timed \(String(describing: impact.selfTimedSlowdown))")
            #expect(impact.containment.overlapped, "the hog was not running for the whole victim series")
            #expect(impact.containment.stoppedAfterVictim, "the hog should have been stopped once the victim was done")
            #expect(impact.containment.victimCompleted && impact.containment.held)
            // The JSON and table carry the figure.
            let json = String(decoding: try ResultDocument.encoder().encode(result), as: UTF8.self)
            #expect(json.contains("\"slowdown_method\" : \"median_ratio_bootstrap_95\""))
            #expect(impact.slowdownLow <= impact.slowdown && impact.slowdown <= impact.slowdownHigh)
            #expect(result.text.contains("cpu_hog"))
            try Leftovers.check(afterProcess: getpid(), targets: [], since: before)
            #expect(NeighbourTests.strays().isEmpty, "neighbour processes left: \(NeighbourTests.strays())")
        }

        /// A memory hog over its limit is OOM-killed inside its own cgroup; the victim runs on.
        @Test func memoryHogIsKilledInsideItsOwnLimit() throws {
            let environment = try containerEnvironment()
            let before = Leftovers.Snapshot.take()
            let settings = PerformanceIsolation.Settings(
                victim: WorkloadSpec(name: "compute", parameters: [("iterations", "30000000")]), repetitions: 1, warmups: 0,
                neighbours: [.memoryHog], neighbour: .init(memoryMiB: 256, memoryLimitBytes: 64 << 20), timeout: 60)
            let result = try PerformanceIsolation(resources: try resources(), settings: settings).measure(environment)
            let c = try #require(result.neighbours.first?.containment)
            #expect(c.oomKills >= 1, "neighbour exit: \(c.neighbourExit)")
            #expect(c.neighbourExit.contains("OOM"), "\(c.neighbourExit)")
            #expect(c.memoryLimitBytes == 64 << 20)
            // The hog reached its limit and no further (resident pages also count the program's file pages).
            let peak = try #require(c.peakRssBytes)
            #expect(peak >= 48 << 20 && peak <= (64 << 20) + Containment.residentSlack, "peak \(peak)")
            #expect(c.victimCompleted && c.held)
            try Leftovers.check(afterProcess: getpid(), targets: [], since: before)
        }

        /// Two QEMU guests: the victim's slowdown beside a CPU hog guest is measured and reported.
        @Test(.enabled(if: VMRequirements.available || Requirements.inCI, "needs qemu-system-x86_64 and a guest kernel"))
        func vmCpuHogReportsASlowdown() throws {
            try Requirements.requireKernelTestSetup()
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let before = Leftovers.Snapshot.take()
            let settings = PerformanceIsolation.Settings(
                victim: WorkloadSpec(name: "compute", parameters: [("iterations", "100000000")]), repetitions: 1, warmups: 1,
                neighbours: [.cpuHog], neighbour: .init(cpuWorkers: 1), timeout: 60, agentBinary: Repo.binary)
            let result = try PerformanceIsolation(resources: try resources(), settings: settings)
                .measure(.vm(VMEnvironment.Options()))
            let impact = try #require(result.neighbours.first)
            #expect(result.environment == "vm")
            #expect(result.accelerator != nil)
            #expect(impact.victim.completed && impact.victim.medianWallNs > 0)
            // One run a side under TCG beside other guests is noisy: a figure, not a bound on it.
            #expect(impact.slowdown.isFinite && impact.slowdown > 0, "slowdown \(impact.slowdown)")
            #expect(impact.slowdown == Double(impact.victim.medianWallNs) / Double(result.alone.medianWallNs))
            #expect(impact.selfTimedSlowdown != nil, "the guest's workload reported no elapsed_ns")
            #expect(impact.containment.overlapped && impact.containment.stoppedAfterVictim,
                    "the hog guest should run through the victim's run and be stopped after: \(impact.containment.neighbourExit)")
            #expect(result.notes.contains { $0.contains("QEMU guest") })
            try Leftovers.check(afterProcess: getpid(), targets: [], since: before)
            // Other tests may run guests of their own: only QEMUs started by this process count.
            let qemu = try runProcess("/usr/bin/pgrep", ["-P", String(getpid()), "qemu-system"])
            #expect(qemu.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "QEMU still running: \(qemu.stdout)")
        }

        /// A neighbour streaming to the peer over the victim's bridge, beside a tcp-rr victim:
        /// the victim's latency is followed alone and beside it, and the stream moved bytes
        /// (its own server's account in the peer).
        @Test func networkTransmitNeighbourBesideATcpRRVictim() throws {
            let environment = try containerEnvironment()
            let before = Leftovers.Snapshot.take()
            let settings = PerformanceIsolation.Settings(
                victim: WorkloadSpec(name: "tcp-rr", parameters: [("size", "1"), ("duration_ms", "300")]),
                repetitions: 1, warmups: 0, neighbours: [.networkTransmit], timeout: 60)
            let result = try PerformanceIsolation(resources: try resources(), settings: settings).measure(environment)
            let impact = try #require(result.neighbours.first)
            #expect(impact.neighbour == .networkTransmit)
            #expect(impact.neighbourWorkload.contains("direction=tx") && impact.neighbourWorkload.contains("port=\(NoisyNeighbour.networkPort)"))
            #expect((result.alone.network?["net_transactions_per_sec"]?.first ?? 0) > 0, "\(String(describing: result.alone.network))")
            #expect((impact.victim.network?["net_transactions_per_sec"]?.first ?? 0) > 0, "\(String(describing: impact.victim.network))")
            let figure = try #require(impact.victimFigure, "no latency figure for the victim")
            #expect(figure.metric == "net_latency_p50_ns" && figure.lowerIsBetter)
            #expect(figure.medianAlone > 0 && figure.medianBeside > 0)
            #expect(abs(figure.ratio - figure.medianBeside / figure.medianAlone) < 1e-9)
            // The stream ran through the victim's run: at least a megabyte reached its server.
            #expect((impact.neighbourBytes ?? 0) > 1 << 20, "the neighbour moved \(String(describing: impact.neighbourBytes)) bytes")
            #expect(impact.containment.overlapped && impact.containment.victimCompleted, "\(impact.containment.neighbourExit)")
            let json = String(decoding: try ResultDocument.encoder().encode(result), as: UTF8.self)
            #expect(json.contains("\"victim_figure\"") && json.contains("\"neighbour_bytes\""))
            #expect(result.text.contains("net_tx") && result.text.contains("neighbour moved"), "\(result.text)")
            try Leftovers.check(afterProcess: getpid(), targets: [], since: before)
            #expect(NeighbourTests.strays().isEmpty, "neighbour processes left: \(NeighbourTests.strays())")
        }

        /// A neighbour receiving from the peer beside a tcp-stream victim: the victim's
        /// throughput is followed, and the peer's server sent the neighbour bytes.
        @Test func networkReceiveNeighbourBesideAStreamVictim() throws {
            let environment = try containerEnvironment()
            let before = Leftovers.Snapshot.take()
            let settings = PerformanceIsolation.Settings(
                victim: WorkloadSpec(name: "tcp-stream", parameters: [("size", "65536"), ("direction", "tx"), ("duration_ms", "300")]),
                repetitions: 1, warmups: 0, neighbours: [.networkReceive], timeout: 60)
            let result = try PerformanceIsolation(resources: try resources(), settings: settings).measure(environment)
            let impact = try #require(result.neighbours.first)
            #expect(impact.neighbour == .networkReceive)
            let figure = try #require(impact.victimFigure, "no throughput figure for the victim")
            #expect(figure.metric == "net_throughput_bps" && !figure.lowerIsBetter)
            #expect(figure.medianAlone > 1e6 && figure.medianBeside > 1e6, "\(figure)")
            #expect((impact.neighbourBytes ?? 0) > 1 << 20, "the neighbour received \(String(describing: impact.neighbourBytes)) bytes")
            #expect(impact.containment.overlapped && impact.containment.victimCompleted, "\(impact.containment.neighbourExit)")
            try Leftovers.check(afterProcess: getpid(), targets: [], since: before)
            #expect(NeighbourTests.strays().isEmpty, "neighbour processes left: \(NeighbourTests.strays())")
        }

        /// Two guests on one bridge: the neighbour guest's tap beside the victim's, its stream
        /// from the peer counted by its own server even though its QEMU is stopped mid-stream.
        @Test(.enabled(if: VMRequirements.available || Requirements.inCI, "needs qemu-system-x86_64 and a guest kernel"))
        func vmNetworkReceiveNeighbourSharesTheVictimsBridge() throws {
            try Requirements.requireKernelTestSetup()
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let before = Leftovers.Snapshot.take()
            let settings = PerformanceIsolation.Settings(
                victim: WorkloadSpec(name: "tcp-rr", parameters: [("size", "1"), ("duration_ms", "300")]),
                repetitions: 1, warmups: 0, neighbours: [.networkReceive], timeout: 120, agentBinary: Repo.binary)
            let result = try PerformanceIsolation(resources: try resources(), settings: settings)
                .measure(.vm(VMEnvironment.Options()))
            let impact = try #require(result.neighbours.first)
            #expect(result.environment == "vm")
            #expect(impact.victim.completed && (impact.victim.network?["net_transactions_per_sec"]?.first ?? 0) > 0)
            #expect(impact.victimFigure?.metric == "net_latency_p50_ns")
            #expect((impact.neighbourBytes ?? 0) > 1 << 20, "the neighbour guest received \(String(describing: impact.neighbourBytes)) bytes")
            #expect(impact.containment.overlapped && impact.containment.stoppedAfterVictim, "\(impact.containment.neighbourExit)")
            try Leftovers.check(afterProcess: getpid(), targets: [], since: before)
            let qemu = try runProcess("/usr/bin/pgrep", ["-P", String(getpid()), "qemu-system"])
            #expect(qemu.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "QEMU still running: \(qemu.stdout)")
        }

        /// Fixture processes of a neighbour (they carry duration_ms= or hold_ms=).
        static func strays() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid -> String? in
                guard Int32(pid) != nil, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
                let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
                return line.contains("/workloads/") && line.contains("duration_ms=") ? line : nil
            }
        }
    }
}
