import AgentProtocol
import Environments
import Foundation
import Host
import IsoprobeCore
import VM

/// One booted guest serving runs over the agent channel: boot to the agent's `ready`, then
/// per run a `run` request and its answer, then `poweroff`. The guest is paused (QMP `stop`)
/// whenever it is not running a workload, so an idle guest takes no CPU from other runs.
/// The session owns the machine and QEMU's cgroup and releases both in `shutdown()`, which
/// every path out reaches; a signal kills QEMU at once.
final class GuestSession {
    let machine: GuestMachine
    /// QEMU's cgroup on the host (the host view's target).
    let vmm: Cgroup
    private(set) var hello: AgentHello?
    /// From starting QEMU to the agent's `ready`.
    private(set) var bootNs: UInt64 = 0
    /// Writing the initramfs, before QEMU started.
    var initramfsNs: UInt64 { UInt64(max(0, machine.initramfsTime.nanoseconds)) }
    let logDirectory: String
    private var reader = AgentChannel.Reader()
    private let writer: AgentChannel.Writer
    private var queue: [AgentEvent] = []
    private var interruptToken: Int?
    private var closed = false
    private var paused = false

    /// A run answers with something at least this often (the agent's heartbeat is every
    /// second): a guest silent this long is taken as hung.
    static let silenceLimit: Duration = .seconds(10)

    init(configuration: GuestBoot.Configuration, hierarchy: CgroupHierarchy, bootTimeout: Duration,
         pauseWhenIdle: Bool) throws {
        var configuration = configuration
        let vmm = try Cgroup.create(named: CgroupNames.unique(prefix: "isoprobe-vmm"), in: hierarchy)
        configuration.cgroupProcs = vmm.path + "/cgroup.procs"
        logDirectory = configuration.logDirectory ?? ""
        let machine: GuestMachine
        do {
            machine = try GuestMachine(configuration, monitor: pauseWhenIdle)
        } catch {
            try? vmm.remove()
            throw error
        }
        self.machine = machine
        self.vmm = vmm
        writer = AgentChannel.Writer(fileDescriptor: machine.agentFD ?? -1)
        // QEMU leads its own process group, out of reach of the terminal's Ctrl-C.
        interruptToken = Interruption.shared.onInterrupt { machine.kill() }
        do {
            PausePoint.reached(.guestBoot)
            try awaitReady(deadline: machine.started + bootTimeout)
            bootNs = UInt64(max(0, (ContinuousClock.now - machine.started).nanoseconds))
            if pauseWhenIdle { try pause() }
        } catch {
            shutdown()
            throw error
        }
    }

    private func awaitReady(deadline: ContinuousClock.Instant) throws {
        while true {
            switch try next(until: deadline, what: "boot to the agent's ready") {
            case .message(.hello(let h)): hello = h
            case .message(.ready): return
            case .message(.error(let f)): throw IsoprobeError(.failed, "the guest's agent could not start: \(f.message)")
            case .message(.bye): throw guestEnded("the guest's agent stopped before it was ready")
            default: continue
            }
        }
    }

    func pause() throws {
        guard !paused else { return }
        try machine.pause()
        paused = true
    }

    func resume() throws {
        guard paused else { return }
        try machine.resume()
        paused = false
    }

    /// Sends one run and waits for its answer: the workload's output (when asked) and its
    /// result. The guest must say something (a heartbeat) every `silenceLimit`.
    func run(_ request: GuestRunRequest) throws -> (result: RunResult, output: String?) {
        try writer.send(.runRequest(request))
        PausePoint.reached(.workload)
        var output: String?
        while true {
            switch try next(until: .now + Self.silenceLimit, what: "an answer to the run") {
            case .message(.output(let text)): output = text
            case .message(.result(let r)):
                try awaitIdle()
                return (r, output)
            case .message(.error(let f)):
                try awaitIdle()
                throw IsoprobeError(.failed, "in the guest: \(f.message)")
            case .message(.bye): throw guestEnded("the guest's agent stopped during the run")
            default: continue
            }
        }
    }

    /// The agent's `ready` after a run: it is waiting for the next request.
    private func awaitIdle() throws {
        while true {
            switch try next(until: .now + Self.silenceLimit, what: "the agent's ready after the run") {
            case .message(.ready): return
            case .message(.bye): throw guestEnded("the guest's agent stopped after the run")
            default: continue
            }
        }
    }

    /// The next event from the agent channel, read as it arrives.
    private func next(until deadline: ContinuousClock.Instant, what: String) throws -> AgentEvent {
        guard let fd = machine.agentFD else { throw IsoprobeError(.failed, "the guest has no agent channel") }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let began = ContinuousClock.now
        while queue.isEmpty {
            try Interruption.shared.check()
            guard ContinuousClock.now < deadline else {
                throw IsoprobeError(.failed, "the guest did not answer (\(what)) within \(Int((deadline - began).components.seconds)) s",
                                    cause: machine.consoleTail())
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 250)
            if ready < 0 && errno != EINTR {
                throw IsoprobeError(.failed, "poll on the agent channel", cause: String(cString: strerror(errno)))
            }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n <= 0 {
                queue += reader.finish()
                if queue.isEmpty {
                    try Interruption.shared.check()
                    throw guestEnded("the guest ended (QEMU exited) waiting for \(what)")
                }
                break
            }
            queue += reader.feed(buffer[0..<n])
        }
        return queue.removeFirst()
    }

    private func guestEnded(_ message: String) -> IsoprobeError {
        let log = machine.qemuLog.split(separator: "\n").last.map { "; QEMU: \($0)" } ?? ""
        return IsoprobeError(.failed, message, cause: machine.consoleTail() + log)
    }

    /// Asks the agent to power the guest off, waits up to `grace` for QEMU to exit, then
    /// kills it; removes QEMU's cgroup. Idempotent.
    func shutdown(grace: Duration = .seconds(5)) {
        guard !closed else { return }
        closed = true
        if let interruptToken { Interruption.shared.remove(interruptToken) }
        if !Interruption.shared.isInterrupted, !machine.hasExited {
            try? resume()
            if (try? writer.send(.poweroff)) != nil { _ = machine.waitForExit(until: .now + grace) }
        }
        machine.end()
        try? vmm.remove()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
