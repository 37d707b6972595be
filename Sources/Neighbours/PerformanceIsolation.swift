import Analysis
import Container
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import OCI
import Probes

/// Measures how much a noisy neighbour in a second guest of the same environment slows a
/// victim workload down, and whether the neighbour stays inside its limits.
///
/// The victim runs on the calling thread: alone (after warm-ups), then once more beside each
/// neighbour. A neighbour runs on its own thread, is running before the victim starts, and
/// ends by its duration or is stopped once the victim is done; its thread is always joined.
public struct PerformanceIsolation: Sendable {
    public struct Settings: Sendable {
        public var victim: WorkloadSpec
        public var repetitions: Int
        public var warmups: Int
        public var neighbours: [NoisyNeighbour]
        public var neighbour: NoisyNeighbour.Settings
        public var probeFamilies: [ProbeFamily]
        /// Cuts any one run (victim or neighbour) that takes longer.
        public var timeout: TimeInterval
        /// The isoprobe binary that serves as the agent inside guests.
        public var agentBinary: String

        public init(victim: WorkloadSpec = PerformanceIsolation.defaultVictim(), repetitions: Int = 3, warmups: Int = 1,
                    neighbours: [NoisyNeighbour] = NoisyNeighbour.machine,
                    neighbour: NoisyNeighbour.Settings = .init(), probeFamilies: [ProbeFamily] = ProbeFamily.allCases,
                    timeout: TimeInterval = 300, agentBinary: String = Resources.executablePath) {
            self.agentBinary = agentBinary
            self.victim = victim
            self.repetitions = repetitions
            self.warmups = warmups
            self.neighbours = neighbours
            self.neighbour = neighbour
            self.probeFamilies = probeFamilies
            self.timeout = timeout
        }
    }

    public static var onlineCPUs: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// A CPU-bound victim of about 0.3 s natively that wants every CPU: under fair group
    /// scheduling a victim using fewer CPUs than are idle would not feel a CPU hog at all.
    public static func defaultVictim(workers: Int = onlineCPUs) -> WorkloadSpec {
        WorkloadSpec(name: "compute", parameters: [("iterations", "100000000"), ("workers", String(workers))])
    }

    /// The network victims beside the network neighbours: request/response latency and
    /// stream throughput, a second each.
    public static let networkVictims = [
        WorkloadSpec(name: NetworkWorkload.tcpRR.rawValue, parameters: [("size", "1"), ("duration_ms", "1000")]),
        WorkloadSpec(name: NetworkWorkload.tcpStream.rawValue, parameters: [("size", "65536"), ("direction", "tx"), ("duration_ms", "1000")]),
    ]

    /// The figure a network victim is judged by beside a neighbour: throughput for a
    /// stream, median latency for request/response; nil for any other victim.
    public static func headlineMetric(of victim: WorkloadSpec) -> String? {
        guard let workload = NetworkWorkload(spec: victim) else { return nil }
        return workload.primaryMetric == "net_throughput_bps" ? "net_throughput_bps" : "net_latency_p50_ns"
    }

    public let resources: Resources
    public let settings: Settings

    public init(resources: Resources, settings: Settings = .init()) {
        self.resources = resources
        self.settings = settings
    }

    public func measure(_ environment: IsolationEnvironment) throws -> PerformanceIsolationResult {
        guard settings.repetitions >= 1, settings.warmups >= 0 else {
            throw IsoprobeError(.usage, "performance isolation: repetitions must be at least 1 and warm-ups 0 or more")
        }
        // One network for the victim and every neighbour: a network neighbour's stream goes
        // over the victim's bridge to the victim's peer, so the two contend on the same path.
        let needsNetwork = NetworkWorkload(spec: settings.victim) != nil || settings.neighbours.contains(where: \.isNetwork)
        let network = needsNetwork ? try TestNetwork.create() : nil
        defer { network?.close() }
        let started = ChildProcess.now()
        let aloneRuns = try runVictim(environment, warmups: settings.warmups, network: network)
        let perRunNs = Double(ChildProcess.elapsed(started, ChildProcess.now())) / Double(settings.repetitions + settings.warmups)
        let alone = VictimSeries(aloneRuns)
        guard alone.completed else {
            throw IsoprobeError(.failed, "performance isolation: the victim \(settings.victim.text) failed alone in \(environment.name)",
                                cause: alone.exits.joined(separator: "; "))
        }
        var impacts: [NeighbourImpact] = []
        for kind in settings.neighbours {
            try Interruption.shared.check()
            impacts.append(try measure(kind, in: environment, alone: alone, aloneRuns: aloneRuns, perRunNs: perRunNs,
                                       network: network))
        }
        let accelerator = aloneRuns.first?.details?.accelerator
        var notes = [usesBootstrap ? "slowdown: median ratio of wall times, 95% bootstrap interval"
                                   : "slowdown: median ratio of wall times, interval from min/max (too few runs to bootstrap)"]
        if let note = environment.base.neighbourNote { notes.append(note) }
        if let metric = Self.headlineMetric(of: settings.victim) {
            notes.append("the victim's \(metric): its median beside each neighbour over its median alone, the interval as the slowdown's")
        }
        if settings.neighbours.contains(where: \.isNetwork) {
            notes.append("net_tx and net_rx stream to and from the victim's peer over the victim's bridge, their server on port "
                         + "\(NoisyNeighbour.networkPort); the peer's interface counters in the victim's runs include their bytes, "
                         + "and their softirq time falls on whichever task a CPU was running")
        }
        if accelerator == "tcg" {
            notes.append("under TCG both guests are emulated QEMU threads: slowdowns do not stand for KVM's")
        }
        return PerformanceIsolationResult(environment: environment.name, accelerator: accelerator, victim: settings.victim.text,
                                          repetitions: settings.repetitions, alone: alone, neighbours: impacts,
                                          slowdownMethod: slowdownMethod, notes: notes)
    }

    func measure(_ kind: NoisyNeighbour, in environment: IsolationEnvironment, alone: VictimSeries,
                 aloneRuns: [RunResult], perRunNs: Double, network: TestNetwork?) throws -> NeighbourImpact {
        // Lead: the neighbour's guest boots before its workload starts, as long as the victim's did.
        let bootNs = aloneRuns.compactMap { $0.details?.bootNs }.max() ?? 0
        let leadMs = Int(bootNs / 1_000_000)
        // Long enough for the victim slowed down fourfold; stopped early when it is done.
        let allowanceMs = Int(perRunNs / 1e6 * Double(settings.repetitions) * 4) + 2000 + leadMs
        let durationMs = allowanceMs + Int.random(in: 1...999)
        let spec = kind.spec(settings.neighbour, durationMs: durationMs)
        let limits = kind.limits(settings.neighbour)
        // A network neighbour's server is this measurement's own, running from before the
        // neighbour starts until after it ends: its account is all the stressor moved, even
        // when the neighbour is a guest stopped mid-stream (whose run returns nothing).
        let server = try kind.isNetwork ? neighbourServer(network) : nil
        defer { _ = server?.stop() }
        let neighbour = try neighbourRun(spec, limits: limits, in: environment, network: network)
        neighbour.start()
        var stopped = false
        var overlapped = false
        var victimRuns: [RunResult] = []
        var failure: Error?
        do {
            try neighbour.awaitRunning(leadMs: leadMs)
            victimRuns = try runVictim(environment, warmups: 0, network: network)
            overlapped = !neighbour.isFinished
        } catch {
            failure = error
        }
        if !neighbour.isFinished { stopped = neighbour.stop() }
        let outcome = neighbour.join()
        let peer = server?.stop()
        if let failure { throw failure }
        let victim = VictimSeries(victimRuns)
        let interval = slowdownInterval(victim.wallNs.map { Double($0) }, alone.wallNs.map { Double($0) }, salt: kind.rawValue)
        return NeighbourImpact(neighbour: kind, neighbourWorkload: spec.text, victim: victim,
                               slowdown: Self.ratio(Double(victim.medianWallNs), Double(alone.medianWallNs)),
                               slowdownLow: interval.low, slowdownHigh: interval.high,
                               selfTimedSlowdown: victim.medianElapsedNs.flatMap { with in
                                   alone.medianElapsedNs.map { Self.ratio(Double(with), Double($0)) } },
                               containment: Containment(outcome: outcome, limits: limits, environment: environment,
                                                        overlapped: overlapped, stopped: stopped, victim: victim),
                               victimFigure: figureImpact(beside: victim, alone: alone, salt: kind.rawValue),
                               neighbourBytes: kind.isNetwork ? peer.map { kind == .networkTransmit ? $0.bytesIn : $0.bytesOut } : nil)
    }

    /// The victim's headline network figure beside the neighbour over alone.
    func figureImpact(beside: VictimSeries, alone: VictimSeries, salt: String) -> FigureImpact? {
        guard let metric = Self.headlineMetric(of: settings.victim),
              let with = beside.network?[metric], let without = alone.network?[metric],
              let a = Statistics.median(with), let b = Statistics.median(without) else { return nil }
        let interval = slowdownInterval(with, without, salt: salt + metric)
        return FigureImpact(metric: metric, lowerIsBetter: MetricDefinition.named(metric)?.lowerIsBetter ?? true,
                            medianAlone: b, medianBeside: a, ratio: Self.ratio(a, b),
                            ratioLow: interval.low, ratioHigh: interval.high)
    }

    /// Bootstrap needs a few runs a side to mean anything; with fewer, the extremes.
    var usesBootstrap: Bool { settings.repetitions >= 3 }

    var slowdownMethod: String { usesBootstrap ? "median_ratio_bootstrap_95" : "median_ratio_min_max" }

    func slowdownInterval(_ a: [Double], _ b: [Double], salt: String) -> (low: Double, high: Double) {
        // A fixed seed per neighbour: the same runs give the same interval.
        if usesBootstrap, let interval = SampleStatistics.ratioInterval(a, b, seed: UInt64(salt.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }.magnitude)) {
            return interval
        }
        return (Self.ratio(a.min(), b.max()), Self.ratio(a.max(), b.min()))
    }

    static func ratio(_ a: Double?, _ b: Double?) -> Double {
        guard let a, let b, b > 0 else { return 0 }
        return a / b
    }

    func runVictim(_ environment: IsolationEnvironment, warmups: Int, network: TestNetwork?) throws -> [RunResult] {
        var request = baseRequest([settings.victim], in: environment)
        request.repetitions = settings.repetitions
        request.warmups = warmups
        return try Runner(resources: resources, agentBinary: settings.agentBinary, network: network).run(request)
    }

    /// The neighbour's run, not yet started. Neighbours are found on the host by their
    /// duration argument, made unique per run (a guest carries it on its kernel command line).
    func neighbourRun(_ spec: WorkloadSpec, limits: ResourceLimits, in environment: IsolationEnvironment,
                      network: TestNetwork?) throws -> NeighbourRun {
        let marker = spec.parameters.map { "\($0.key)=\($0.value)" }.last ?? ""
        var request = baseRequest([spec], in: environment)
        request.options[environment.kind] = environment.base.neighbourOptions(limits: limits, marker: marker)
        request.peerServers = false
        // A neighbour that dies of its limits is data, not an error.
        request.continueOnFailure = true
        let resources = resources
        let agent = settings.agentBinary
        return NeighbourRun(label: spec.text, marker: environment.base.hostWord(for: marker)) {
            var failed: String?
            let results = try Runner(resources: resources, agentBinary: agent, network: network).run(request, onEvent: { event in
                if case .failed(_, let error, _, _) = event { failed = "\(error)" }
            })
            return .init(result: results.first, error: failed)
        }
    }

    /// The peer's server for a network neighbour, on its own port beside the victim's.
    func neighbourServer(_ network: TestNetwork?) throws -> PeerServer {
        guard let network, let directory = resources.workloadsDirectory else {
            throw IsoprobeError(.missing, "the network neighbours need the fixture workloads and their peer server", fix: "run `make workloads`")
        }
        return try PeerServer(binary: (directory as NSString).appendingPathComponent(PeerServer.binaryName),
                              port: NoisyNeighbour.networkPort, network: network)
    }

    func baseRequest(_ specs: [WorkloadSpec], in environment: IsolationEnvironment) -> RunRequest {
        var request = RunRequest(environments: [environment.kind], workloads: specs, repetitions: 1,
                                 probeFamilies: settings.probeFamilies, timeout: settings.timeout)
        request.options[environment.kind] = environment.options
        return request
    }
}
