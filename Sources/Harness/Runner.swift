import Container
import Environments
import Foundation
import IsoprobeCore
import Probes
import VMEnvironment
import AgentProtocol
import KVM

/// What to run: workloads × environments × repetitions, with which probes.
public struct RunRequest: Sendable {
    public var environments: [String]
    public var workloads: [WorkloadSpec]
    public var repetitions: Int
    public var probeFamilies: [ProbeFamily]
    public var timeout: TimeInterval?
    public var echoOutput: Bool
    public var container: ContainerEnvironment.Options
    public var vm: VMEnvironment.Options = .init()
    public var accel: AccelRequest = .auto
    /// Discarded runs before the measured ones, per workload and environment.
    public var warmups: Int = 0
    /// Per-workload environments and repetitions (suites); nil: every workload in every
    /// environment, `repetitions` times.
    public var plan: [RunItem]?
    /// Environments that may be missing on this host: dropped with a notice instead of an error.
    public var optionalEnvironments: Set<String> = []
    /// Record a run that fails to start (a guest that never answered, a runtime error) and go on.
    public var continueOnFailure = false

    public init(environments: [String], workloads: [WorkloadSpec], repetitions: Int,
                probeFamilies: [ProbeFamily] = ProbeFamily.allCases, timeout: TimeInterval? = nil,
                echoOutput: Bool = false, container: ContainerEnvironment.Options = .init()) {
        self.container = container
        self.environments = environments
        self.workloads = workloads
        self.repetitions = repetitions
        self.probeFamilies = probeFamilies
        self.timeout = timeout
        self.echoOutput = echoOutput
    }
}

/// One workload of a plan: where it runs and how often.
public struct RunItem: Sendable {
    public var spec: WorkloadSpec
    public var environments: [String]
    public var repetitions: Int

    public init(spec: WorkloadSpec, environments: [String], repetitions: Int) {
        self.spec = spec
        self.environments = environments
        self.repetitions = repetitions
    }
}

/// One run of a plan, before it happens.
public struct PlannedRun: Sendable {
    public var spec: WorkloadSpec
    public var environment: String
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

    /// Every run in order: all warm-ups first, then repetition by repetition, each workload
    /// in every environment before the next repetition, so drift spreads over all of them.
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
                for item in items where rep <= item.repetitions { for env in item.environments {
                    out.append(PlannedRun(spec: item.spec, environment: env, repetition: rep, warmup: false,
                                          of: item.repetitions))
                } }
            }
        }
        return out
    }
}

/// What happened to one planned run.
public enum RunEvent {
    case starting(PlannedRun, index: Int, total: Int)
    case finished(PlannedRun, RunResult, index: Int, total: Int)
    /// The run could not be made (continueOnFailure): the plan goes on.
    case failed(PlannedRun, Error, index: Int, total: Int)
    /// An optional environment this host cannot offer.
    case skippedEnvironment(String, reason: String)
}

/// Runs a request: repetitions outermost and environments innermost, so slow drift of
/// the machine spreads over every environment alike. Each finished run is handed to
/// `onResult` at once, so an interruption loses only the run under way.
public final class Runner {
    public let resources: Resources
    public let hierarchy: CgroupHierarchy
    public let catalog: WorkloadCatalog

    public init(resources: Resources) throws {
        self.resources = resources
        hierarchy = try CgroupHierarchy.detect()
        catalog = WorkloadCatalog(directory: resources.workloadsDirectory)
    }

    public static let knownEnvironments = ["native", "container", "vm"]
    private var vm: VMEnvironment?
    private var environments: [String: Environment] = [:]

    /// One instance per environment for the whole request (a container bundle is built
    /// once per workload and reused by every repetition).
    func environment(named name: String, request: RunRequest) throws -> Environment {
        if let env = environments[name] { return env }
        let env: Environment
        switch name {
        case "native": env = NativeEnvironment(hierarchy: hierarchy)
        case "container": env = try ContainerEnvironment(options: request.container, hierarchy: hierarchy)

        default:
            throw IsoprobeError(.usage, "--env: unknown environment '\(name)'",
                                fix: "use one of: \(Self.knownEnvironments.joined(separator: ", "))")
        }
        environments[name] = env
        return env
    }

    /// The VM environment, once per request: the KVM calibration picks the accelerator.
    /// Guests do not run behind `Environment` (their probes run inside the guest).
    @discardableResult
    func prepareVM(_ request: RunRequest) throws -> VMEnvironment {
        if let vm { return vm }
        var options = request.vm
        let calibration = KVMCalibration.shared
        switch try AccelChoice.resolve(requested: request.accel, calibration: calibration) {
        case .kvm: options.accelerator = .kvm
        case .tcg:
            options.accelerator = .tcg
            if request.accel == .auto {
                FileHandle.standardError.write(Data("isoprobe: \(calibration.description); VM figures under TCG do not stand for KVM's overhead\n".utf8))
            }
        }
        // A guest that stops answering is cut at its boot allowance plus the workload's timeout.
        options.bootTimeout = 60 + (request.timeout ?? 0)
        let prepared = try VMEnvironment(options: options, agentBinary: Resources.executablePath,
                                         probesDirectory: resources.probesDirectory)
        vm = prepared
        return prepared
    }

    /// Releases every environment's kept state (bundles, runtime state directories).
    public func close() {
        for env in environments.values { env.close() }
        environments.removeAll()
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
        var unavailable: Set<String> = []
        for env in Set(request.items.flatMap(\.environments)).sorted() {
            do {
                if env == "vm" { try prepareVM(request) } else { _ = try environment(named: env, request: request) }
            } catch let error as IsoprobeError where request.optionalEnvironments.contains(env) && error.kind != .usage {
                unavailable.insert(env)
                onSkip(env, error.description)
            }
        }
        for item in request.items { try catalog.validate(item.spec) }
        if !unavailable.isEmpty {
            request.plan = request.items.map {
                RunItem(spec: $0.spec, environments: $0.environments.filter { !unavailable.contains($0) },
                        repetitions: $0.repetitions)
            }.filter { !$0.environments.isEmpty }
            request.environments = request.environments.filter { !unavailable.contains($0) }
            guard !(request.plan ?? []).isEmpty else {
                throw IsoprobeError(.missing, "none of the environments can run here (\(unavailable.sorted().joined(separator: ", ")))",
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
        let schedule = request.schedule
        var results: [RunResult] = []
        for (i, planned) in schedule.enumerated() {
            if let sig = Interruption.shared.signal { throw interrupted(sig) }
            onEvent(.starting(planned, index: i + 1, total: schedule.count))
            do {
                let made: [RunResult]
                if planned.environment == "vm" {
                    made = try runInGuest(planned.spec, repetition: planned.repetition, request: request)
                } else {
                    made = [try runOnce(planned.spec, in: try environment(named: planned.environment, request: request),
                                        repetition: planned.repetition, request: request)]
                }
                for result in made {
                    if !planned.warmup { results.append(result) }
                    onEvent(.finished(planned, result, index: i + 1, total: schedule.count))
                }
            } catch let error as IsoprobeError where request.continueOnFailure && error.kind == .failed
                && Interruption.shared.signal == nil {
                onEvent(.failed(planned, error, index: i + 1, total: schedule.count))
            }
        }
        if let sig = Interruption.shared.signal { throw interrupted(sig) }
        return results
    }

    private func interrupted(_ sig: Int32) -> IsoprobeError {
        IsoprobeError(.interrupted, "interrupted by signal \(sig) (\(String(cString: strsignal(sig))))")
    }

    public func runOnce(_ spec: WorkloadSpec, in environment: Environment, repetition: Int,
                        request: RunRequest) throws -> RunResult {
        try runOnceKeepingOutput(spec, in: environment, repetition: repetition, request: request).result
    }

    /// One run, and what the workload wrote on its standard output (a checker's verdicts).
    public func runOnceKeepingOutput(_ spec: WorkloadSpec, in environment: Environment, repetition: Int,
                                     request: RunRequest, observers: [RunObserver] = []) throws -> (result: RunResult, output: String) {
        let argv = try catalog.argv(for: spec)
        let invocation = WorkloadInvocation(spec: spec, argv: argv, environment: Self.workloadEnvironment(),
                                            timeout: request.timeout, echoOutput: request.echoOutput)
        let session = ProbeSession(settings: .init(directory: resources.probesDirectory,
                                                   families: request.probeFamilies))
        defer { session.close() }
        let started = Date()
        let run = try environment.run(invocation, observer: observers.isEmpty ? session : ObserverGroup([session] + observers))
        let measured = try session.collect()
        let memory = measured.memory
        // CPU from the kernel's per-task account when the sched probe saw the exits: the
        // same in every environment, whoever reaps the workload (wait4 is the fallback).
        let cpu = measured.sched?.cpu.map { Self.subtract(run.cpuBeforeStart, from: $0) }
        var details = run.details
        if details != nil { details?.limitEvents = .from(syscalls: measured.syscalls, memory: memory) }
        var result = RunResult(
            environment: environment.name,
            workload: WorkloadDescription(spec: spec.text, name: spec.name,
                                          parameters: Dictionary(spec.parameters.map { ($0.key, $0.value) },
                                                                 uniquingKeysWith: { $1 }),
                                          command: argv),
            repetition: repetition, startedAt: started, wallNs: Self.wallTime(run, lastExitNs: cpu?.lastExitNs),
            cpuUserNs: cpu?.userNs ?? run.outcome.userNs, cpuSystemNs: cpu?.systemNs ?? run.outcome.systemNs,
            exit: Self.describeExit(Self.leaderExit(run, sched: measured.sched), memory: memory, details: details),
            workloadReport: WorkloadReport.parse(output: run.outcome.stdout),
            target: TargetDescription(cgroupPath: run.target.path, cgroupId: run.target.id,
                                      cgroupLevel: run.target.level),
            probes: session.probeStatuses, syscalls: measured.syscalls, sched: measured.sched, memory: memory,
            slowSyscalls: measured.slowSyscalls, eventsDropped: measured.eventsDropped,
            setupNs: run.setupNs, teardownNs: run.teardownNs, details: details)
        result.schedEvents = measured.schedEvents
        return (result, run.outcome.stdout)
    }

    /// From the workload's start to its last task's exit when the probes saw it: an
    /// environment's own tear-down (a runtime deleting its container) is not the workload's.
    static func wallTime(_ run: EnvironmentRun, lastExitNs: UInt64?) -> UInt64 {
        guard let last = lastExitNs, run.workloadStartNs > 0, last > run.workloadStartNs else { return run.outcome.wallNs }
        return min(last - run.workloadStartNs, run.outcome.wallNs)
    }

    /// Takes out what the first process used before the workload was let go, keeping the
    /// exact total and splitting it in the ratio of what is left of user and system time.
    static func subtract(_ base: CPUBaseline?, from cpu: SchedStats.CPUTime) -> SchedStats.CPUTime {
        guard let base else { return cpu }
        var out = cpu
        out.runtimeNs = cpu.runtimeNs - min(base.runtimeNs, cpu.runtimeNs)
        let user = Double(cpu.userNs - min(base.userNs, cpu.userNs))
        let system = Double(cpu.systemNs - min(base.systemNs, cpu.systemNs))
        out.userNs = user + system > 0 ? UInt64(Double(out.runtimeNs) * user / (user + system)) : 0
        out.systemNs = out.runtimeNs - out.userNs
        return out
    }

    /// The first process's own wait status when the probes recorded it: `runc run` exits
    /// 128+N both for "killed by signal N" and for "exited with 128+N".
    static func leaderExit(_ run: EnvironmentRun, sched: SchedStats?) -> ExitDescription {
        guard let status = sched?.leaderWaitStatus, run.outcome.exit.kind != "timeout" else { return run.outcome.exit }
        return ChildProcess.describe(status: status, timedOut: false)
    }

    /// A SIGKILL the OOM killer dealt says so.
    static func describeExit(_ exit: ExitDescription, memory: MemoryStats?, details: EnvironmentDetails?) -> ExitDescription {
        guard exit.kind == "signaled", exit.signal == SIGKILL, let m = memory, m.oomKills > 0 else { return exit }
        let limit = details?.limits?.memoryBytes.map { " (memory limit \($0 / 1_048_576) MiB)" } ?? ""
        return ExitDescription(kind: "oom_killed", code: nil, signal: SIGKILL, description: "killed by the OOM killer\(limit)")
    }

    /// One repetition in a fresh guest: the agent runs it in the guest's kernel.
    func runInGuest(_ spec: WorkloadSpec, repetition: Int, request: RunRequest) throws -> [RunResult] {
        let vm = try prepareVM(request)
        let host = try catalog.argv(for: spec)
        let argv = VMEnvironment.guestArgv(hostArgv: host, isCommand: spec.command != nil)
        let agentRequest = AgentProtocol.RunRequest(spec: spec.text, isCommand: spec.command != nil, argv: argv,
                                                    timeoutSeconds: request.timeout,
                                                    probes: request.probeFamilies.map(\.rawValue),
                                                    repetition: repetition, count: 1)
        let session = ProbeSession(settings: .init(directory: resources.probesDirectory, families: request.probeFamilies))
        defer { session.close() }
        // Exits by reason only mean something under KVM.
        let kvmProbe = vm.options.accelerator == .kvm ? KVMExitProbe(directory: resources.probesDirectory) : nil
        defer { kvmProbe?.close() }
        let observer = ObserverGroup([session] + (kvmProbe.map { [$0] } ?? []))
        let run = try vm.run(agentRequest, workloadBinary: spec.command == nil ? host[0] : nil,
                             host: (observer: observer, hierarchy: hierarchy))
        if let failure = run.failure {
            throw IsoprobeError(.failed, "in the guest: \(failure.message)")
        }
        guard !run.results.isEmpty else {
            let tail = run.outcome.console.split(separator: "\n").suffix(5).joined(separator: " | ")
            throw IsoprobeError(.failed, "the guest returned no result (\(run.outcome.end))", cause: tail)
        }
        let measured = try session.collect()
        let hostView = run.hostTarget.map {
            HostView(target: TargetDescription(cgroupPath: $0.path, cgroupId: $0.id, cgroupLevel: $0.level),
                     probes: session.probeStatuses, syscalls: measured.syscalls, sched: measured.sched,
                     memory: measured.memory, kvm: try? kvmProbe?.collect())
        }
        return run.results.map { r in
            var r = r
            r.hostView = hostView
            return r
        }
    }

    /// A small, fixed environment so runs are comparable across shells.
    static func workloadEnvironment() -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        var out = ["PATH": env["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "LANG": "C.UTF-8"]
        for key in ["HOME", "TERM", "TMPDIR"] { if let v = env[key] { out[key] = v } }
        return out
    }
}
