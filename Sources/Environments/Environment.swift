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
}

/// Where a workload runs. Each environment makes its own cgroup, tells the observer
/// (the probes) before the workload's first instruction, and releases everything it
/// made before returning, whether the workload succeeded, failed or was interrupted.
public protocol Environment {
    var name: String { get }
    func run(_ invocation: WorkloadInvocation, observer: RunObserver) throws -> EnvironmentRun
}
