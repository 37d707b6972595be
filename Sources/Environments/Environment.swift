import Foundation
import Host
import IsoprobeCore
import Probes

/// A workload resolved to what will be executed.
public struct WorkloadInvocation: Sendable {
    public var spec: WorkloadSpec
    /// argv as the environment executes it.
    public var argv: [String]
    public var environment: [String: String]
    public var timeout: TimeInterval?
    /// Copy the workload's standard output to ours as it runs.
    public var echoOutput: Bool

    public init(spec: WorkloadSpec, argv: [String], environment: [String: String],
                timeout: TimeInterval? = nil, echoOutput: Bool = false) {
        self.spec = spec
        self.argv = argv
        self.environment = environment
        self.timeout = timeout
        self.echoOutput = echoOutput
    }
}

/// One planned run as an environment measures it: the workload, its repetition number, and
/// which probes watch it (in the kernel the workload runs on).
public struct MeasureRequest {
    public var invocation: WorkloadInvocation
    public var repetition: Int
    public var probes: ProbeSession.Settings
    /// Observers of this host beside the probes (a capability probe, say). A guest's
    /// environment attaches them to its VMM.
    public var observers: [RunObserver]
    /// Hand back what the workload wrote on its standard output (a checker's verdicts).
    public var keepOutput: Bool

    public init(invocation: WorkloadInvocation, repetition: Int, probes: ProbeSession.Settings,
                observers: [RunObserver] = [], keepOutput: Bool = false) {
        self.invocation = invocation
        self.repetition = repetition
        self.probes = probes
        self.observers = observers
        self.keepOutput = keepOutput
    }
}

/// What measuring one run gave.
public struct MeasuredRun: Sendable {
    public var result: RunResult
    /// The workload's standard output, when the request kept it.
    public var output: String?

    public init(result: RunResult, output: String?) {
        self.result = result
        self.output = output
    }
}

/// Where a workload runs: native, a container, a guest. One instance serves a whole plan:
/// `prepare` once with every workload it will run (a container bundle, a guest image and a
/// booted guest), `measure` once per planned run (fresh cgroup, fresh probes), `close` at
/// the end, which releases everything the environment made, whatever happened before.
public protocol Environment: AnyObject {
    var kind: EnvironmentKind { get }
    /// The environment's name in results: its kind, or a variant of it.
    var label: String { get }
    /// The workloads the plan will run here (argv as on this host), before the first run.
    func prepare(for workloads: [WorkloadInvocation]) throws
    func measure(_ request: MeasureRequest) throws -> MeasuredRun
    func close()
}

extension Environment {
    public var label: String { kind.rawValue }
    public func prepare(for workloads: [WorkloadInvocation]) throws {}
}

/// An environment whose workload runs on this host's kernel, in a cgroup of its own: the
/// probes load here and are told of the cgroup before the workload's first instruction.
public protocol LocalEnvironment: Environment {
    func run(_ invocation: WorkloadInvocation, observer: RunObserver) throws -> EnvironmentRun
    /// The block device node a storage workload will use here (the block probe watches it).
    func blockDevice(for spec: WorkloadSpec) throws -> String?
}

extension LocalEnvironment {
    public func blockDevice(for spec: WorkloadSpec) throws -> String? { nil }

    public func measure(_ request: MeasureRequest) throws -> MeasuredRun {
        let session = ProbeSession(settings: request.probes)
        defer { session.close() }
        let started = Date()
        // The block probe goes with any probe family (`--probes none` leaves it out too).
        let blockProbe = request.probes.families.isEmpty ? nil
            : try blockDevice(for: request.invocation.spec).flatMap(BlockProbe.kernelDevice(ofNode:))
                .map { BlockProbe(directory: request.probes.directory, device: $0) }
        defer { blockProbe?.close() }
        let observers: [RunObserver] = [session] + (blockProbe.map { [$0] } ?? []) + request.observers
        let observer: RunObserver = observers.count == 1 ? session : ObserverGroup(observers)
        let run = try self.run(request.invocation, observer: observer)
        let measured = try session.collect()
        var result = RunAssembly.result(environment: label, invocation: request.invocation,
                                        repetition: request.repetition, startedAt: started, run: run,
                                        measured: measured, probes: session.probeStatuses)
        result.blockLayer = try blockProbe?.collect()
        return MeasuredRun(result: result, output: request.keepOutput ? run.outcome.stdout : nil)
    }
}

/// What an environment hands back: how the workload ended, where it ran, and the
/// environment's own costs (set-up and tear-down).
public struct EnvironmentRun: Sendable {
    public var outcome: ProcessOutcome
    public var target: CgroupTarget
    public var setupNs: UInt64
    public var teardownNs: UInt64
    /// What the environment was (runtime, limits) and what its limits did.
    public var details: EnvironmentDetails?
    /// CLOCK_MONOTONIC when the workload was let go (wall time ends at its last exit).
    public var workloadStartNs: UInt64
    /// CPU the workload's first process had already used when it was let go (a runtime's
    /// init runs in the container's cgroup before it execs the workload).
    public var cpuBeforeStart: CPUBaseline?
    /// The instance's own memory beyond the workload (a container's runtime and kernel memory).
    public var footprint: Footprint?

    public init(outcome: ProcessOutcome, target: CgroupTarget, setupNs: UInt64, teardownNs: UInt64,
                details: EnvironmentDetails? = nil, workloadStartNs: UInt64 = 0) {
        self.workloadStartNs = workloadStartNs
        self.outcome = outcome
        self.target = target
        self.setupNs = setupNs
        self.teardownNs = teardownNs
        self.details = details
    }
}

/// CPU time a process had used at some moment, from /proc: subtracted from the probes'
/// per-task account so the environment's set-up is not charged to the workload.
public struct CPUBaseline: Sendable, Equatable {
    public var runtimeNs: UInt64
    public var userNs: UInt64
    public var systemNs: UInt64

    public static func read(pid: pid_t) -> CPUBaseline? {
        guard let sched = ProcFS.schedstat(of: pid), let stat = ProcFS.stat(of: pid) else { return nil }
        // utime and stime are in clock ticks.
        let tick = UInt64(1_000_000_000) / ProcFS.clockTicksPerSecond
        return CPUBaseline(runtimeNs: sched.runTimeNs, userNs: stat.utime * tick, systemNs: stat.stime * tick)
    }
}

/// What every environment is made from, whatever its kind.
public struct EnvironmentContext: Sendable {
    public var hierarchy: CgroupHierarchy
    public var probesDirectory: String
    /// The isoprobe binary a guest runs as its agent.
    public var agentBinary: String

    public init(hierarchy: CgroupHierarchy, probesDirectory: String, agentBinary: String) {
        self.hierarchy = hierarchy
        self.probesDirectory = probesDirectory
        self.agentBinary = agentBinary
    }
}

/// An environment's settings (a runtime and its limits, a guest's size); they make the
/// environment, so the code that plans runs never needs to know which kind it has.
public protocol EnvironmentOptions: Sendable {
    static var kind: EnvironmentKind { get }
    func makeEnvironment(_ context: EnvironmentContext) throws -> Environment
    /// Adds what the environment brings to the host's description (a VMM's version).
    func describe(host: inout HostFacts)
}

extension EnvironmentOptions {
    public func describe(host: inout HostFacts) {}
}
