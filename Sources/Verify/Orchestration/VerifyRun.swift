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
    public var neighbours: Bool
    /// The runtime the control runs under (the user's, for --env container).
    public var controlRuntime: String
    /// The isoprobe binary that serves as the agent inside guests.
    public var agentBinary: String

    public init(target: Target, neighbours: Bool = true, controlRuntime: String = "runc",
                agentBinary: String = Resources.executablePath) {
        self.agentBinary = agentBinary
        self.target = target
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

    public func run(resources: Resources, progress: (String) -> Void = { _ in }) throws -> VerifyReport {
        let checker = try Self.locateChecker(resources)
        let verification = BoundaryVerification(resources: resources, checker: checker, agentBinary: agentBinary)
        let hierarchy = try CgroupHierarchy.detect()
        let host = HostFacts.current(cgroupLayout: hierarchy.layout.rawValue)

        progress("checks from inside guest A (\(name))")
        let guest = try verification.verify(target, profile: try Self.profile(for: target))
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
        }
        return VerifyReport(host: host, guests: [guest], control: control, performance: performance)
    }

    var name: String { target.name }

    private func checkInterrupted() throws {
        try Interruption.shared.check()
    }
}
