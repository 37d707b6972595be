import Container
import Environments
import Foundation
import Host
import Neighbours
import Harness
import IsoprobeCore
import OCI
import VMEnvironment

/// A whole `isoprobe verify`: guest A in the chosen environment, the weakened control
/// (always: it proves the checks can fail), then performance isolation unless left out.
public struct VerifyRun {
    public typealias Target = VerifyTarget

    public var target: Target
    /// Which open boundaries fail the run (contradictions always do).
    public var policy: VerdictPolicy
    public var neighbours: Bool
    /// The runtime the control runs under (the user's, for --env container).
    public var controlRuntime: String
    /// The isoprobe binary that serves as the agent inside guests.
    public var agentBinary: String

    public init(target: Target, policy: VerdictPolicy = .hardened, neighbours: Bool = true, controlRuntime: String = "runc",
                agentBinary: String = Resources.executablePath) {
        self.agentBinary = agentBinary
        self.target = target
        self.policy = policy
        self.neighbours = neighbours
        self.controlRuntime = controlRuntime
    }

    /// The checker among the fixture workloads (it is built and shipped with them), or
    /// `$ISOPROBE_CHECKER`.
    public static func locateChecker(_ resources: Resources) throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["ISOPROBE_CHECKER"] { candidates.append(env) }
        if let dir = resources.workloadsDirectory { candidates.append((dir as NSString).appendingPathComponent("boundaries")) }
        guard let found = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw IsoprobeError(.missing, "the isolation checker (workloads/boundaries) is not built",
                                fix: "run `make checks` (or set ISOPROBE_CHECKER to the binary)")
        }
        return found
    }

    /// The profile guest A is judged by.
    public static func profile(for target: Target) throws -> VerifyProfile { try target.base.profile() }

    /// The checks `policy` requires of guest A in `target`.
    public static func required(by policy: VerdictPolicy, for target: Target) -> Set<String> {
        policy.required(hardened: target.base.hardenedProfile())
    }

    public func run(resources: Resources, progress: (String) -> Void = { _ in }) throws -> VerifyReport {
        let checker = try Self.locateChecker(resources)
        let verification = BoundaryVerification(resources: resources, checker: checker, agentBinary: agentBinary)
        let hierarchy = try CgroupHierarchy.detect()
        let host = HostFacts.current(cgroupLayout: hierarchy.layout.rawValue)

        // The profile first: a config the runtime would refuse is refused before anything starts.
        let profile = try Self.profile(for: target)
        let required = Self.required(by: policy, for: target)
        progress("checks from inside guest A (\(name))")
        let guest = try verification.verify(target, profile: profile, required: required)
        try checkInterrupted()

        progress("the same checks in the weakened control container")
        let workdir = try BoundaryVerification.makeWorkDirectory()
        defer { workdir.remove() }
        let controlConfig = try WeakenedControl.writeConfig(in: workdir.path)
        let control = try verification.verify(.container(.init(runtime: controlRuntime, ociConfigPath: controlConfig)),
                                              profile: .weakenedControl(try WeakenedControl.spec(),
                                                                        kernel: KernelSettings.current()))
        try checkInterrupted()

        var performance: [PerformanceIsolationResult]?
        if neighbours {
            // Performance isolation ("neighbours"): the victim alone, then beside each noisy
            // neighbour in a second guest of the same environment.
            progress("performance isolation: a victim beside noisy neighbours (\(name))")
            performance = [try PerformanceIsolation(resources: resources, settings: .init(agentBinary: agentBinary)).measure(target.isolation)]
            // The network neighbours beside a network victim: its latency, then its throughput.
            for victim in PerformanceIsolation.networkVictims {
                try checkInterrupted()
                progress("performance isolation: \(victim.text) beside network neighbours (\(name))")
                let settings = PerformanceIsolation.Settings(victim: victim, neighbours: NoisyNeighbour.network, agentBinary: agentBinary)
                performance?.append(try PerformanceIsolation(resources: resources, settings: settings).measure(target.isolation))
            }
        }
        return VerifyReport(host: host, policy: PolicySummary(policy, required: required), guests: [guest], control: control,
                            performance: performance)
    }

    var name: String { target.name }

    private func checkInterrupted() throws {
        try Interruption.shared.check()
    }
}
