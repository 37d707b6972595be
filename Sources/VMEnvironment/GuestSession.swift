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
    var hello: AgentHello? { client.hello }
    /// From starting QEMU to the agent's `ready`.
    private(set) var bootNs: UInt64 = 0
    /// Writing the initramfs, before QEMU started.
    var initramfsNs: UInt64 { UInt64(max(0, machine.initramfsTime.nanoseconds)) }
    let logDirectory: String
    private let client: AgentClient
    private var interruptToken: Int?
    private var closed = false
    private var paused = false

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
        let fd = machine.agentFD ?? -1
        client = AgentClient(input: fd, output: fd, check: { try Interruption.shared.check() }, context: {
            let log = machine.qemuLog.split(separator: "\n").last.map { "; QEMU: \($0)" } ?? ""
            return machine.consoleTail() + log
        })
        // QEMU leads its own process group, out of reach of the terminal's Ctrl-C.
        interruptToken = Interruption.shared.onInterrupt { machine.kill() }
        do {
            PausePoint.reached(.guestBoot)
            try client.awaitReady(until: machine.started + bootTimeout)
            bootNs = UInt64(max(0, (ContinuousClock.now - machine.started).nanoseconds))
            if pauseWhenIdle { try pause() }
        } catch {
            shutdown()
            throw error
        }
    }

    /// The guest cannot serve another run: its channel broke, it fell silent or it ended.
    var isBroken: Bool { client.isBroken || machine.hasExited }

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
    /// result.
    func run(_ request: GuestRunRequest) throws -> (result: RunResult, output: String?) {
        try client.run(request) { PausePoint.reached(.workload) }
    }

    /// Asks the agent to power the guest off, waits up to `grace` for QEMU to exit, then
    /// kills it; removes QEMU's cgroup. A broken guest is killed at once. Idempotent.
    func shutdown(grace: Duration = .seconds(5)) {
        guard !closed else { return }
        closed = true
        if let interruptToken { Interruption.shared.remove(interruptToken) }
        if !Interruption.shared.isInterrupted, !client.isBroken, !machine.hasExited {
            try? resume()
            if client.powerOff() { _ = machine.waitForExit(until: .now + grace) }
        }
        machine.end()
        try? vmm.remove()
    }
}
