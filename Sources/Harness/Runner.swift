import Analysis
import Container
import Environments
import Foundation
import Host
import IsoprobeCore
import Probes
import VMEnvironment

/// What to run: workloads × environments × repetitions, with which probes.
public struct RunRequest: Sendable {
    public var environments: [EnvironmentKind]
    public var workloads: [WorkloadSpec]
    public var repetitions: Int
    public var probeFamilies: [ProbeFamily]
    public var timeout: TimeInterval?
    public var echoOutput: Bool
    /// Each environment's settings, which also make it.
    public var options: [EnvironmentKind: any EnvironmentOptions] = [
        .native: NativeEnvironment.Options(), .container: ContainerEnvironment.Options(), .vm: VMEnvironment.Options(),
    ]
    /// Discarded runs before the measured ones, per workload and environment.
    public var warmups: Int = 0
    /// Per-workload environments and repetitions (suites); nil: every workload in every
    /// environment, `repetitions` times.
    public var plan: [RunItem]?
    /// Environments that may be missing on this host: dropped with a notice instead of an error.
    public var optionalEnvironments: Set<EnvironmentKind> = []
    /// Record a run that fails to start (a guest that never answered, a runtime error) and go on.
    public var continueOnFailure = false
    /// Each run of a network workload gets its own server in the peer. false: the caller
    /// runs the server itself (a noisy neighbour's, whose account must outlive a guest
    /// that is stopped mid-stream), and the runs carry no `network` figures.
    public var peerServers = true
    /// `--precision`: after the repetitions, rounds go on for each workload until every
    /// ratio to native of its primary metric, wall time and CPU time is known within ± this
    /// fraction, or a limit below is reached.
    public var precision: Double?
    /// `--max-time`: no round starts after this many seconds of the plan.
    public var maxTime: TimeInterval = 600
    /// `--max-reps`: rounds per workload at most.
    public var maxRepetitions = 100
    /// How the rounds' ratios are judged (confidence, resamples), the same as the report's.
    public var method = SummaryMethod(repetitions: 0, warmups: 0, order: "")

    public init(environments: [EnvironmentKind], workloads: [WorkloadSpec], repetitions: Int,
                probeFamilies: [ProbeFamily] = ProbeFamily.allCases, timeout: TimeInterval? = nil,
                echoOutput: Bool = false, container: ContainerEnvironment.Options = .init()) {
        self.environments = environments
        self.workloads = workloads
        self.repetitions = repetitions
        self.probeFamilies = probeFamilies
        self.timeout = timeout
        self.echoOutput = echoOutput
        self.container = container
    }

    public var container: ContainerEnvironment.Options {
        get { options[.container] as? ContainerEnvironment.Options ?? .init() }
        set { options[.container] = newValue }
    }

    public var vm: VMEnvironment.Options {
        get { options[.vm] as? VMEnvironment.Options ?? .init() }
        set { options[.vm] = newValue }
    }

    /// A kind's settings: its own, or for `container-host` the container's, in the host's
    /// network namespace.
    public func settings(for kind: EnvironmentKind) -> (any EnvironmentOptions)? {
        if let own = options[kind] { return own }
        guard kind == .containerHost else { return nil }
        var host = container
        host.network = .host
        return host
    }
}

/// One workload of a plan: where it runs and how often.
public struct RunItem: Sendable {
    public var spec: WorkloadSpec
    public var environments: [EnvironmentKind]
    public var repetitions: Int

    public init(spec: WorkloadSpec, environments: [EnvironmentKind], repetitions: Int) {
        self.spec = spec
        self.environments = environments
        self.repetitions = repetitions
    }
}

/// One run of a plan, before it happens.
public struct PlannedRun: Sendable {
    public var spec: WorkloadSpec
    public var environment: EnvironmentKind
    /// 1-based; warm-ups count on their own from 1.
    public var repetition: Int
    public var warmup: Bool
    /// Of the workload's measured repetitions (or warm-ups).
    public var of: Int
}

extension RunRequest {
    public var items: [RunItem] {
        plan ?? workloads.map { RunItem(spec: $0, environments: environments, repetitions: repetitions) }
    }

    /// Every run in order: all warm-ups first, then round by round. A round runs each
    /// workload once in every environment, in an order that rotates from round to round (a
    /// Latin square: with two environments AB, BA, AB, ...), so drift and the cost of going
    /// first cancel in each round's ratios.
    public var schedule: [PlannedRun] {
        var out: [PlannedRun] = []
        if warmups > 0 {
            for w in 1...warmups {
                for item in items { for env in item.environments {
                    out.append(PlannedRun(spec: item.spec, environment: env, repetition: w, warmup: true, of: warmups))
                } }
            }
        }
        let most = items.map(\.repetitions).max() ?? 0
        if most > 0 {
            for rep in 1...most {
                for item in items where rep <= item.repetitions {
                    out += Self.round(rep, of: item, total: item.repetitions)
                }
            }
        }
        return out
    }

    /// Round `n` of one workload: each of its environments once, the order rotated by n - 1.
    static func round(_ n: Int, of item: RunItem, total: Int) -> [PlannedRun] {
        let envs = item.environments
        guard !envs.isEmpty else { return [] }
        return envs.indices.map { i in
            PlannedRun(spec: item.spec, environment: envs[(i + n - 1) % envs.count], repetition: n, warmup: false, of: total)
        }
    }

    /// The words the report gives for the order.
    public static let orderDescription = "warm-ups first; then rounds, each workload once in every environment per round, the order rotating from round to round"
}

/// What happened to one planned run.
public enum RunEvent {
    case starting(PlannedRun, index: Int, total: Int)
    case finished(PlannedRun, RunResult, index: Int, total: Int)
    /// The run could not be made (continueOnFailure): the plan goes on.
    case failed(PlannedRun, Error, index: Int, total: Int)
    /// An optional environment this host cannot offer.
    case skippedEnvironment(String, reason: String)
    /// After a round beyond the repetitions: the widest interval of the workload's judged
    /// ratios so far, as a fraction (nil before two rounds paired).
    case precision(WorkloadSpec, round: Int, reached: Double?, target: Double)
    /// Why the rounds ended.
    case stopped(SummaryMethod.StopReason)
}

/// Runs a request: repetitions outermost and environments innermost, so slow drift of
/// the machine spreads over every environment alike. Each environment is made and prepared
/// once for the whole plan; the run loop only measures. Each finished run is handed to
/// `onEvent` at once, so an interruption loses only the run under way.
public final class Runner {
    public let resources: Resources
    public let hierarchy: CgroupHierarchy
    public let catalog: WorkloadCatalog
    /// The isoprobe binary guests run as their agent.
    public let agentBinary: String
    private var environments: [EnvironmentKind: Environment] = [:]
    /// The plan's network, made when it has network workloads (Runner+Network).
    var network: TestNetwork?
    /// A network the caller made and owns, for plans that share one bridge and peer (a
    /// victim and its noisy neighbour): used instead of a network of the plan's own, never closed here.
    let sharedNetwork: TestNetwork?

    public init(resources: Resources, agentBinary: String = Resources.executablePath, network: TestNetwork? = nil) throws {
        self.resources = resources
        self.agentBinary = agentBinary
        sharedNetwork = network
        hierarchy = try CgroupHierarchy.detect()
        catalog = WorkloadCatalog(directory: resources.workloadsDirectory)
    }

    /// One instance per environment for the whole request.
    public func environment(_ kind: EnvironmentKind, request: RunRequest) throws -> Environment {
        if let env = environments[kind] { return env }
        guard let options = request.settings(for: kind) else {
            throw IsoprobeError(.usage, "--env: no settings for '\(kind.rawValue)'")
        }
        let env = try options.makeEnvironment(EnvironmentContext(hierarchy: hierarchy,
                                                                 probesDirectory: resources.probesDirectory,
                                                                 agentBinary: agentBinary))
        environments[kind] = env
        return env
    }

    /// Releases every environment's kept state (bundles, runtime state, booted guests).
    public func close() {
        for env in environments.values {
            env.close()
            (env as? NetworkAttachable)?.detach()
        }
        environments.removeAll()
        if network !== sharedNetwork { network?.close() }
        network = nil
    }

    /// Checks everything that can be checked before anything runs.
    public func validate(_ request: RunRequest) throws {
        _ = try validated(request)
    }

    /// The request as it will run: checked whole, with optional environments this host
    /// cannot offer taken out (each reported through `onSkip`).
    public func validated(_ request: RunRequest, onSkip: (String, String) -> Void = { _, _ in }) throws -> RunRequest {
        guard request.repetitions >= 1, request.items.allSatisfy({ $0.repetitions >= 1 }) else {
            throw IsoprobeError(.usage, "--reps must be at least 1, got \(request.repetitions)")
        }
        guard request.warmups >= 0 else { throw IsoprobeError(.usage, "warm-ups must be 0 or more") }
        var request = request
        var unavailable: Set<EnvironmentKind> = []
        for env in Set(request.items.flatMap(\.environments)).sorted() {
            do {
                _ = try environment(env, request: request)
            } catch let error as IsoprobeError where request.optionalEnvironments.contains(env) && error.kind != .usage {
                unavailable.insert(env)
                onSkip(env.rawValue, error.description)
            }
        }
        for item in request.items {
            try catalog.validate(item.spec)
            try NetworkWorkload.checkPeer(of: item.spec)
        }
        if !unavailable.isEmpty {
            request.plan = request.items.map {
                RunItem(spec: $0.spec, environments: $0.environments.filter { !unavailable.contains($0) },
                        repetitions: $0.repetitions)
            }.filter { !$0.environments.isEmpty }
            request.environments = request.environments.filter { !unavailable.contains($0) }
            guard !(request.plan ?? []).isEmpty else {
                throw IsoprobeError(.missing, "none of the environments can run here (\(unavailable.map(\.rawValue).sorted().joined(separator: ", ")))",
                                    fix: "`isoprobe doctor` says what is missing")
            }
        }
        return request
    }

    /// Measured runs only (warm-ups are handed to `onEvent` and dropped).
    @discardableResult
    public func run(_ request: RunRequest, onResult: (RunResult) -> Void = { _ in }) throws -> [RunResult] {
        try run(request, onEvent: { event in
            if case .finished(let planned, let result, _, _) = event, !planned.warmup { onResult(result) }
        })
    }

    @discardableResult
    public func run(_ request: RunRequest, onEvent: (RunEvent) -> Void) throws -> [RunResult] {
        defer { close() }
        let request = try validated(request) { onEvent(.skippedEnvironment($0, reason: $1)) }
        try connectNetwork(for: request)
        for kind in Set(request.items.flatMap(\.environments)) {
            let invocations = try request.items.filter { $0.environments.contains(kind) }.map { try invocation($0.spec, request: request) }
            try environment(kind, request: request).prepare(for: invocations)
        }
        let started = ContinuousClock.now
        let schedule = request.schedule
        var results: [RunResult] = []
        var index = 0
        func run(_ planned: PlannedRun, total: Int) throws {
            try Interruption.shared.check()
            index += 1
            onEvent(.starting(planned, index: index, total: total))
            do {
                let result = try measure(planned.spec, in: try environment(planned.environment, request: request),
                                         repetition: planned.repetition, request: request).result
                PausePoint.reached(.results)
                if !planned.warmup { results.append(result) }
                onEvent(.finished(planned, result, index: index, total: total))
            } catch let error as IsoprobeError where request.continueOnFailure && error.kind == .failed
                && Interruption.shared.signal == nil {
                onEvent(.failed(planned, error, index: index, total: total))
            }
        }
        for planned in schedule { try run(planned, total: schedule.count) }
        guard let target = request.precision else {
            try Interruption.shared.check()
            onEvent(.stopped(.repetitions))
            return results
        }
        // Rounds beyond the repetitions, for the workloads whose ratios are not yet known
        // to the target.
        let judge = PrecisionJudge(method: request.method, target: target)
        var rounds = Dictionary(uniqueKeysWithValues: request.items.map { ($0.spec.text, $0.repetitions) })
        while true {
            try Interruption.shared.check()
            let short = request.items.filter { !judge.isMet(by: results, workload: $0.spec) }
            if short.isEmpty { onEvent(.stopped(.precision)); break }
            if short.contains(where: { rounds[$0.spec.text, default: 0] >= request.maxRepetitions }) {
                onEvent(.stopped(.maxReps))
                break
            }
            if (ContinuousClock.now - started) >= .seconds(request.maxTime) { onEvent(.stopped(.maxTime)); break }
            for item in short {
                let n = rounds[item.spec.text, default: 0] + 1
                rounds[item.spec.text] = n
                let round = RunRequest.round(n, of: item, total: n)
                let total = index + round.count
                for planned in round { try run(planned, total: total) }
                onEvent(.precision(item.spec, round: n, reached: judge.widest(in: results, workload: item.spec), target: target))
            }
        }
        try Interruption.shared.check()
        return results
    }

    /// The workload as this host executes it.
    public func invocation(_ spec: WorkloadSpec, request: RunRequest) throws -> WorkloadInvocation {
        WorkloadInvocation(spec: spec, argv: try ToolWorkload(spec: spec).map { try toolArgv($0, spec: spec) }
                               ?? (try catalog.argv(for: spec) + peerArguments(for: spec)),
                           environment: Self.workloadEnvironment(),
                           timeout: request.timeout, echoOutput: request.echoOutput)
    }

    /// One run in `environment`, with the request's probes (and `observers` beside them). A
    /// run that fails because a signal cut it short is an interruption, not a failure: its
    /// error is the interruption, and a workload the signal stopped is recorded as interrupted.
    public func measure(_ spec: WorkloadSpec, in environment: Environment, repetition: Int, request: RunRequest,
                        observers: [RunObserver] = [], keepOutput: Bool = false) throws -> MeasuredRun {
        do {
            let server = request.peerServers ? try peerServer(for: spec) : nil
            defer { _ = server?.stop() }
            let watch = watchNetwork(for: spec, probes: !request.probeFamilies.isEmpty)
            defer { watch?.probe.close() }
            let tool = ToolWorkload(spec: spec)
            var measured = try environment.measure(MeasureRequest(
                invocation: try invocation(spec, request: request), repetition: repetition,
                probes: .init(directory: resources.probesDirectory, families: request.probeFamilies),
                observers: observers + (watch.map { [$0.probe] } ?? []), keepOutput: keepOutput || tool != nil))
            if let tool {
                // The tool's own figures, in the place a fixture's result line goes.
                if measured.result.exit.succeeded { measured.result.workloadReport = tool.report(output: measured.output ?? "") }
                if !keepOutput { measured.output = nil }
            }
            if let server {
                measured.result.network = networkFigures(in: environment, server: server, watch: watch, result: measured.result)
                measured.result.guestNetworkProbes = nil
            }
            if let sig = Interruption.shared.signal, !measured.result.exit.succeeded {
                measured.result.exit = RunAssembly.interrupted(measured.result.exit, by: sig)
            }
            return measured
        } catch {
            try Interruption.shared.check()
            throw error
        }
    }

    /// A small, fixed environment so runs are comparable across shells.
    public static func workloadEnvironment() -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        var out = ["PATH": env["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "LANG": "C.UTF-8"]
        for key in ["HOME", "TERM", "TMPDIR"] { if let v = env[key] { out[key] = v } }
        return out
    }
}
