import Environments
import Foundation
import IsoprobeCore
import Probes

/// What to run: workloads × environments × repetitions, with which probes.
public struct RunRequest: Sendable {
    public var environments: [String]
    public var workloads: [WorkloadSpec]
    public var repetitions: Int
    public var probeFamilies: [ProbeFamily]
    public var timeout: TimeInterval?
    public var echoOutput: Bool

    public init(environments: [String], workloads: [WorkloadSpec], repetitions: Int,
                probeFamilies: [ProbeFamily] = ProbeFamily.allCases, timeout: TimeInterval? = nil,
                echoOutput: Bool = false) {
        self.environments = environments
        self.workloads = workloads
        self.repetitions = repetitions
        self.probeFamilies = probeFamilies
        self.timeout = timeout
        self.echoOutput = echoOutput
    }
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

    public static let knownEnvironments = ["native"]

    func environment(named name: String) throws -> Environment {
        switch name {
        case "native": return NativeEnvironment(hierarchy: hierarchy)
        default:
            throw IsoprobeError(.usage, "--env: unknown environment '\(name)'",
                                fix: "use one of: \(Self.knownEnvironments.joined(separator: ", "))")
        }
    }

    /// Checks everything that can be checked before anything runs.
    public func validate(_ request: RunRequest) throws {
        guard request.repetitions >= 1 else {
            throw IsoprobeError(.usage, "--reps must be at least 1, got \(request.repetitions)")
        }
        for env in request.environments { _ = try environment(named: env) }
        for spec in request.workloads { try catalog.validate(spec) }
    }

    @discardableResult
    public func run(_ request: RunRequest, onResult: (RunResult) -> Void = { _ in }) throws -> [RunResult] {
        try validate(request)
        var results: [RunResult] = []
        for rep in 1...request.repetitions {
            for spec in request.workloads {
                for envName in request.environments {
                    if let sig = Interruption.shared.signal { throw interrupted(sig) }
                    let result = try runOnce(spec, in: try environment(named: envName), repetition: rep,
                                             request: request)
                    results.append(result)
                    onResult(result)
                    if let sig = Interruption.shared.signal { throw interrupted(sig) }
                }
            }
        }
        return results
    }

    private func interrupted(_ sig: Int32) -> IsoprobeError {
        IsoprobeError(.interrupted, "interrupted by signal \(sig) (\(String(cString: strsignal(sig))))")
    }

    public func runOnce(_ spec: WorkloadSpec, in environment: Environment, repetition: Int,
                        request: RunRequest) throws -> RunResult {
        let argv = try catalog.argv(for: spec)
        let invocation = WorkloadInvocation(spec: spec, argv: argv, environment: Self.workloadEnvironment(),
                                            timeout: request.timeout, echoOutput: request.echoOutput)
        let session = ProbeSession(settings: .init(directory: resources.probesDirectory,
                                                   families: request.probeFamilies))
        defer { session.close() }
        let started = Date()
        let run = try environment.run(invocation, observer: session)
        let measured = try session.collect()
        let memory = measured.memory
        return RunResult(
            environment: environment.name,
            workload: WorkloadDescription(spec: spec.text, name: spec.name,
                                          parameters: Dictionary(spec.parameters.map { ($0.key, $0.value) },
                                                                 uniquingKeysWith: { $1 }),
                                          command: argv),
            repetition: repetition, startedAt: started, wallNs: run.outcome.wallNs,
            cpuUserNs: run.outcome.userNs, cpuSystemNs: run.outcome.systemNs, exit: run.outcome.exit,
            workloadReport: WorkloadReport.parse(output: run.outcome.stdout),
            target: TargetDescription(cgroupPath: run.target.path, cgroupId: run.target.id,
                                      cgroupLevel: run.target.level),
            probes: session.probeStatuses, syscalls: measured.syscalls, sched: measured.sched, memory: memory,
            slowSyscalls: measured.slowSyscalls, eventsDropped: measured.eventsDropped,
            setupNs: run.setupNs, teardownNs: run.teardownNs)
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
