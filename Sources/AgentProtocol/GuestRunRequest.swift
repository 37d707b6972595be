import Foundation
import IsoprobeCore

/// What the host asks the agent to run: one workload, once, with which probes. It travels
/// as a `run` message over the agent channel.
public struct GuestRunRequest: Codable, Sendable, Equatable {
    /// The workload as the user named it: `NAME[:key=value,...]`, or the command's text
    /// when `isCommand`.
    public var spec: String
    /// The fixture's name and parameters as given, in order: a value may hold a comma, which
    /// `spec`'s text cannot carry. Absent: `spec` is parsed.
    public var name: String?
    public var parameters: [Parameter]?
    /// True for an arbitrary command (`isoprobe run -- CMD ...`): then `argv` is the command
    /// and `spec` only its text.
    public var isCommand: Bool
    /// argv as the agent executes it, with guest paths (`GuestLayout.workloadsDirectory`).
    public var argv: [String]
    public var environment: [String: String]
    public var timeoutSeconds: Double?
    /// Probe family names (`syscalls`, `sched`, `memory`); empty for none.
    public var probes: [String]
    /// The repetition number the result carries.
    public var repetition: Int
    /// Send the workload's standard output back (an `output` message before the result).
    /// Absent means no.
    public var returnOutput: Bool?
    /// A network workload's /24 (`a.b.c.0`): the agent runs the network probe on it in the
    /// guest's kernel. Absent: no network probe.
    public var networkSubnet: String?

    public struct Parameter: Codable, Sendable, Equatable {
        public var key: String
        public var value: String
    }

    public init(spec: String, isCommand: Bool = false, argv: [String], environment: [String: String] = [:],
                timeoutSeconds: Double? = nil, probes: [String], repetition: Int = 1,
                returnOutput: Bool? = nil) {
        self.spec = spec
        self.isCommand = isCommand
        self.argv = argv
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
        self.probes = probes
        self.repetition = repetition
        self.returnOutput = returnOutput
    }

    /// The request for a workload as the rest of isoprobe models it.
    public init(workload: WorkloadSpec, argv: [String], environment: [String: String] = [:],
                timeoutSeconds: Double? = nil, probes: [String], repetition: Int = 1, returnOutput: Bool? = nil) {
        self.init(spec: workload.text, isCommand: workload.command != nil, argv: argv, environment: environment,
                  timeoutSeconds: timeoutSeconds, probes: probes, repetition: repetition, returnOutput: returnOutput)
        if workload.command == nil {
            name = workload.name
            parameters = workload.parameters.map { Parameter(key: $0.key, value: $0.value) }
        }
    }

    /// The workload as the rest of isoprobe models it.
    public func workloadSpec() throws -> WorkloadSpec {
        if isCommand { return WorkloadSpec.command(argv) }
        if let name, let parameters { return WorkloadSpec(name: name, parameters: parameters.map { ($0.key, $0.value) }) }
        return try WorkloadSpec.parse(spec)
    }
}
