import Container
import Environments
import Foundation
import Neighbours
import Harness
import IsoprobeCore
import Probes

/// Guest B: `boundaries plant` with the peer's canaries, in the same kind of environment as
/// A, on a thread of its own. It holds until stopped (hold_ms and the run's timeout are the
/// backstop); `stop()` kills its processes by their marker and joins the thread.
final class PeerGuest {
    let canary: CanaryIdentities.Canary
    private let run: NeighbourRun
    let guest: VerifyTarget

    static let holdMs = 180_000

    /// B runs in an environment of its own (a second container, a second guest), made
    /// from the same settings as A's and closed when B ends.
    /// `bridge`: B's plant arguments on verify's bridge; `join` puts B's environment on it.
    init(_ guest: VerifyTarget, runner: Runner, checker: String, canary: CanaryIdentities.Canary,
         bridge: [String] = [], join: (Environment) throws -> Void = { _ in }) throws {
        self.canary = canary
        self.guest = guest
        let environment = try guest.base.checkerOptions(marker: canary.marker).makeEnvironment(
            EnvironmentContext(hierarchy: runner.hierarchy, probesDirectory: runner.resources.probesDirectory,
                               agentBinary: runner.agentBinary))
        do {
            try join(environment)
        } catch {
            environment.close()
            throw error
        }
        // The mode word is not a key=value parameter: the argv is given whole.
        let invocation = WorkloadInvocation(spec: WorkloadSpec(name: (checker as NSString).lastPathComponent),
                                            argv: [checker, "plant"] + canary.plantArguments(holdMs: Self.holdMs, bridge: bridge),
                                            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                            timeout: TimeInterval(Self.holdMs / 1000 + 30))
        let probes = ProbeSession.Settings(directory: runner.resources.probesDirectory, families: [])
        let failure = ErrorBox()
        self.failure = failure
        run = NeighbourRun(label: "B", marker: guest.base.hostWord(for: canary.marker)) {
            defer { environment.close() }
            do {
                _ = try environment.measure(MeasureRequest(invocation: invocation, repetition: 1, probes: probes))
            } catch {
                failure.set(error)
                throw error
            }
            return NeighbourRun.Outcome()
        }
        run.start()
    }

    /// Until B's canaries are planted, as near as the host can tell (the environment's kind
    /// knows how). B's own error, when it ended before (a runtime that refused the config),
    /// is the error: it says what went wrong in B's words.
    func awaitReady(timeout: TimeInterval = 60) throws {
        do {
            pid = try guest.base.awaitPeer(run, canary: canary, timeout: timeout)
        } catch {
            if run.isFinished, let own = failure.get() { throw own }
            throw error
        }
    }

    /// The error B's run threw, set on B's thread.
    private let failure: ErrorBox

    final class ErrorBox: @unchecked Sendable {
        private let lock = NSLock()
        private var error: Error?
        func set(_ e: Error) { lock.withLock { error = e } }
        func get() -> Error? { lock.withLock { error } }
    }

    /// B's planter on the host (containers only), once ready.
    private(set) var pid: pid_t?

    static func failure(_ run: NeighbourRun, _ message: String) -> IsoprobeError {
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
