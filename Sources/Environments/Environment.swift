import Foundation
import IsoprobeCore

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

/// Where a workload runs. Each environment makes its own cgroup, tells the observer
/// (the probes) before the workload's first instruction, and releases everything it
/// made before returning, whether the workload succeeded, failed or was interrupted.
public protocol Environment: AnyObject {
    var name: String { get }
    func run(_ invocation: WorkloadInvocation, observer: RunObserver) throws -> EnvironmentRun
    /// Releases what the environment keeps between runs (bundles, images).
    func close()
}

extension Environment {
    public func close() {}
}

/// CPU time a process had used at some moment, from /proc: subtracted from the probes'
/// per-task account so the environment's set-up is not charged to the workload.
public struct CPUBaseline: Sendable, Equatable {
    public var runtimeNs: UInt64
    public var userNs: UInt64
    public var systemNs: UInt64

    public static func read(pid: pid_t) -> CPUBaseline? {
        guard let sched = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8),
              let runtime = sched.split(separator: " ").first.flatMap({ UInt64($0) }),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command: state is field 3, utime 14, stime 15 (clock ticks).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let ut = UInt64(fields[11]), let st = UInt64(fields[12]) else { return nil }
        let tick = UInt64(1_000_000_000) / UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        return CPUBaseline(runtimeNs: runtime, userNs: ut * tick, systemNs: st * tick)
    }
}
