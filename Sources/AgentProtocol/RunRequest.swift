import Foundation
import IsoprobeCore

/// What the host asks the agent to run: one workload, a number of repetitions, with which
/// probes. It travels as a `run` message, or on the kernel command line
/// (`RunRequest+KernelCommandLine.swift`) when the host has no channel into the guest.
public struct RunRequest: Codable, Sendable, Equatable {
    /// The workload as the user named it: `NAME[:key=value,...]`, or the command's text
    /// when `isCommand`.
    public var spec: String
    /// True for an arbitrary command (`isoprobe run -- CMD ...`): then `argv` is the command
    /// and `spec` only its text.
    public var isCommand: Bool
    /// argv as the agent executes it, with guest paths (`GuestLayout.workloadsDirectory`).
    public var argv: [String]
    public var environment: [String: String]
    public var timeoutSeconds: Double?
    /// Probe family names (`syscalls`, `sched`, `memory`); empty for none.
    public var probes: [String]
    /// The repetition number the first run's result carries.
    public var repetition: Int
    /// How many runs to make, numbered from `repetition`.
    public var count: Int
    /// Send the workload's standard output back (an `output` message before the result);
    /// then `count` must be 1. Absent means no.
    public var returnOutput: Bool?

    public init(spec: String, isCommand: Bool = false, argv: [String], environment: [String: String] = [:],
                timeoutSeconds: Double? = nil, probes: [String], repetition: Int = 1, count: Int = 1,
                returnOutput: Bool? = nil) {
        self.spec = spec
        self.isCommand = isCommand
        self.argv = argv
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
        self.probes = probes
        self.repetition = repetition
        self.count = count
        self.returnOutput = returnOutput
    }

    /// The workload as the rest of isoprobe models it.
    public func workloadSpec() throws -> WorkloadSpec {
        isCommand ? WorkloadSpec.command(argv) : try WorkloadSpec.parse(spec)
    }
}
