import AgentProtocol
import Container
import Environments
import Foundation
import GuestImage
import IsoprobeCore
import VMEnvironment

/// Guest B: `boundaries plant` with the peer's canaries, in the same kind of environment as
/// A, on a thread of its own. It holds until stopped (hold_ms and the run's timeout are the
/// backstop); `stop()` kills its processes by their marker and joins the thread.
final class PeerGuest {
    let canary: CanaryIdentities.Canary
    private let run: NeighbourRun
    /// How a container's B is found: its planter's argv[0].
    let isContainer: Bool

    static let holdMs = 180_000

    init(container options: ContainerEnvironment.Options, hierarchy: CgroupHierarchy, checker: String,
         canary: CanaryIdentities.Canary) throws {
        self.canary = canary
        isContainer = true
        let environment = try ContainerEnvironment(options: options, hierarchy: hierarchy)
        let invocation = WorkloadInvocation(spec: WorkloadSpec(name: "boundaries"),
                                            argv: [checker, "plant"] + canary.plantArguments(holdMs: Self.holdMs),
                                            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                            timeout: TimeInterval(Self.holdMs / 1000 + 30))
        run = NeighbourRun(label: "B", marker: canary.marker) {
            defer { environment.close() }
            _ = try environment.run(invocation, observer: SilentObserver())
            return NeighbourRun.Outcome()
        }
        run.start()
    }

    init(vm options: VMEnvironment.Options, agentBinary: String, probesDirectory: String, checker: String,
         canary: CanaryIdentities.Canary) throws {
        self.canary = canary
        isContainer = false
        let environment = try VMEnvironment(options: options, agentBinary: agentBinary, probesDirectory: probesDirectory)
        // A command, not a fixture spec: the mode word is not a key=value parameter.
        let argv = [GuestLayout.workloadsDirectory + "/" + (checker as NSString).lastPathComponent, "plant"]
            + canary.plantArguments(holdMs: Self.holdMs)
        let request = AgentProtocol.RunRequest(spec: argv.joined(separator: " "), isCommand: true, argv: argv,
                                               timeoutSeconds: TimeInterval(Self.holdMs / 1000 + 30), probes: [],
                                               repetition: 1, count: 1)
        let marker = try request.kernelCommandLineParameter()
        run = NeighbourRun(label: "B", marker: marker) {
            _ = try environment.run(request, workloadBinary: checker)
            return NeighbourRun.Outcome()
        }
        run.start()
    }

    /// Until B's canaries are planted. A container's B is seen from the host: its planter
    /// process and the ready file in its root. A guest's kernel is not the host's to look
    /// into, so for a VM this waits for QEMU and then a bounded boot allowance.
    func awaitReady(timeout: TimeInterval = 60, guestBootMs: Int = 8_000) throws {
        if !isContainer {
            try run.awaitRunning(leadMs: guestBootMs)
            if run.isFinished { throw failure("B ended before A ran") }
            return
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let sig = Interruption.shared.signal { throw IsoprobeError(.interrupted, "interrupted by signal \(sig)") }
            if run.isFinished { throw failure("B ended before its canaries were planted") }
            for pid in HostProcesses.carrying(canary.marker)
            where access("/proc/\(pid)/root/tmp/isoprobe-canary-\(canary.tag).ready", F_OK) == 0 {
                self.pid = pid
                return
            }
            usleep(20_000)
        }
        throw failure("B did not plant its canaries within \(Int(timeout)) s")
    }

    /// B's planter on the host (containers only), once ready.
    private(set) var pid: pid_t?

    private func failure(_ message: String) -> IsoprobeError {
        let outcome = run.isFinished ? run.join() : NeighbourRun.Outcome()
        return IsoprobeError(.failed, message, cause: outcome.error)
    }

    /// Kills B and waits for its environment to release everything; B's error, if any.
    @discardableResult
    func stop() -> String? {
        _ = run.stop()
        return run.join().error
    }
}
