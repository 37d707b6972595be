import Container
import Environments
import Foundation
import IsoprobeCore
import Harness
import Probes

/// Guest B: `boundaries plant` with the peer's canaries, in the same kind of environment as
/// A, on a thread of its own. It holds until stopped (hold_ms and the run's timeout are the
/// backstop); `stop()` kills its processes by their marker and joins the thread.
final class PeerGuest {
    let canary: CanaryIdentities.Canary
    private let run: NeighbourRun
    /// A container's B is seen from the host (its planter and ready file); a guest's is not.
    let isContainer: Bool

    static let holdMs = 180_000

    /// B runs in an environment of its own (a second container, a second guest), made
    /// from the same settings as A's and closed when B ends.
    init(_ guest: IsolationEnvironment, runner: Runner, checker: String, canary: CanaryIdentities.Canary) throws {
        self.canary = canary
        isContainer = guest.kind == .container
        let environment = try guest.options(marker: canary.marker, scratchDisk: false).makeEnvironment(
            EnvironmentContext(hierarchy: runner.hierarchy, probesDirectory: runner.resources.probesDirectory,
                               agentBinary: runner.agentBinary))
        // The mode word is not a key=value parameter: the argv is given whole.
        let invocation = WorkloadInvocation(spec: WorkloadSpec(name: (checker as NSString).lastPathComponent),
                                            argv: [checker, "plant"] + canary.plantArguments(holdMs: Self.holdMs),
                                            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                            timeout: TimeInterval(Self.holdMs / 1000 + 30))
        let probes = ProbeSession.Settings(directory: runner.resources.probesDirectory, families: [])
        run = NeighbourRun(label: "B", marker: guest.hostWord(for: canary.marker)) {
            defer { environment.close() }
            _ = try environment.measure(MeasureRequest(invocation: invocation, repetition: 1, probes: probes))
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
