import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import OCI

/// One neighbour run on its own thread. Its processes are found on the host by a
/// parameter value no other process carries (`marker`), which is how isoprobe knows it
/// has started and how it stops it.
public final class NeighbourRun: @unchecked Sendable {
    public struct Outcome {
        public var result: RunResult?
        public var error: String?

        public init(result: RunResult? = nil, error: String? = nil) {
            self.result = result
            self.error = error
        }
    }

    let label: String
    let work: () throws -> Outcome
    let marker: String
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var finished = false
    private var outcome = Outcome()
    private var joined = false

    /// `marker`: an argument only the neighbour's processes carry (empty: not visible on the host).
    public init(label: String, marker: String, work: @escaping () throws -> Outcome) {
        self.label = label
        self.marker = marker
        self.work = work
    }

    public func start() {
        let thread = Thread { [self] in
            var out = Outcome()
            do {
                out = try work()
            } catch {
                out.error = "\(error)"
            }
            lock.withLock {
                outcome = out
                finished = true
            }
            done.signal()
        }
        thread.start()
    }

    public var isFinished: Bool { lock.withLock { finished } }

    /// Until the neighbour's processes run, then `leadMs` more (a guest's boot: its
    /// workload is not the host's to see). A neighbour that already ended (killed by its own
    /// limit) is data: the victim runs anyway and the overlap says so.
    public func awaitRunning(leadMs: Int) throws {
        var deadline = Date().addingTimeInterval(60)
        var seen = false
        while Date() < deadline {
            try Interruption.shared.check()
            if isFinished { return }
            if !seen, !processes().isEmpty {
                seen = true
                deadline = Date().addingTimeInterval(Double(leadMs) / 1000)
            }
            usleep(5_000)
        }
        if !seen { throw IsoprobeError(.failed, "the neighbour \(label) did not start within 60 s") }
    }

    /// SIGKILL to every process of the neighbour (a guest's QEMU); whether there were any.
    public func stop() -> Bool { HostProcesses.kill(carrying: marker) }

    public func join() -> Outcome {
        guard !joined else { return lock.withLock { outcome } }
        while done.wait(timeout: .now() + 1) == .timedOut {
            // Ctrl-C: the runner kills its container; make sure nothing outlives us waiting.
            if Interruption.shared.isInterrupted { _ = stop() }
        }
        joined = true
        return lock.withLock { outcome }
    }

    public func processes() -> [pid_t] { HostProcesses.carrying(marker) }
}
