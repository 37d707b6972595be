import CShim
import Foundation
import Host
import IsoprobeCore

/// How a workload process ended and what it cost, from wait4.
public struct ProcessOutcome: Sendable {
    public init(exit: ExitDescription, wallNs: UInt64, userNs: UInt64, systemNs: UInt64, maxRSSBytes: UInt64,
                stdout: String, timedOut: Bool) {
        self.exit = exit
        self.wallNs = wallNs
        self.userNs = userNs
        self.systemNs = systemNs
        self.maxRSSBytes = maxRSSBytes
        self.stdout = stdout
        self.timedOut = timedOut
    }

    public var exit: ExitDescription
    public var wallNs: UInt64
    public var userNs: UInt64
    public var systemNs: UInt64
    public var maxRSSBytes: UInt64
    public var stdout: String
    public var timedOut: Bool
    /// CLOCK_MONOTONIC when the workload was started.
    public var startNs: UInt64 = 0
}

/// Starts a command inside a cgroup from its first instruction and waits for it,
/// keeping the tail of its standard output (where fixture workloads print their result).
public enum ChildProcess {
    public static let stdoutLimit = 1 << 20

    public static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }

    static func run(_ argv: [String], environment: [String: String], cgroup: Cgroup,
                    echoOutput: Bool, timeout: TimeInterval?) throws -> ProcessOutcome {
        guard let executable = HostTool.find(argv[0]) else {
            throw IsoprobeError(.usage, "command not found: \(argv[0])",
                                fix: "give a path or a command on PATH")
        }
        var pipeFDs: [Int32] = [0, 0]
        guard isoprobe_pipe_cloexec(&pipeFDs) == 0 else {
            throw IsoprobeError(.failed, "pipe", cause: ErrorWords.of(errno: errno))
        }
        let output = OutputTail(fd: pipeFDs[0], echo: echoOutput, limit: stdoutLimit)

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let pid = isoprobe_spawn_in_cgroup(executable, cArgs, cEnv, cgroup.fd, -1, pipeFDs[1], -1, nil)
        let spawnErrno = errno
        close(pipeFDs[1])
        guard pid > 0 else {
            output.finish()
            throw IsoprobeError(.failed, "cannot start \(argv[0])", cause: ErrorWords.of(errno: spawnErrno))
        }

        let deadline = WorkloadDeadline(timeout) { cgroup.killAll() }
        let interruptToken = Interruption.shared.onInterrupt { cgroup.killAll() }
        defer { Interruption.shared.remove(interruptToken) }
        PausePoint.reached(.workload)

        var status: Int32 = 0
        var usage = rusage()
        guard retryingOnInterrupt({ wait4(pid, &status, 0, &usage) }) >= 0 else {
            throw IsoprobeError(.failed, "wait4", cause: ErrorWords.of(errno: errno))
        }
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let timedOut = deadline.disarm()
        // Anything the workload left behind would hold the output pipe open.
        cgroup.killAll()
        let stdout = output.finish()

        var outcome = ProcessOutcome(exit: describe(status: status, timedOut: timedOut), wallNs: elapsed(start, end),
                                     userNs: nanos(usage.ru_utime), systemNs: nanos(usage.ru_stime),
                                     maxRSSBytes: UInt64(max(usage.ru_maxrss, 0)) * 1024, stdout: stdout,
                                     timedOut: timedOut)
        outcome.startNs = nanos(start)
        return outcome
    }

    public static func describe(status: Int32, timedOut: Bool) -> ExitDescription {
        let sig = status & 0x7f
        if timedOut {
            return ExitDescription(kind: "timeout", code: nil, signal: sig == 0 ? nil : sig,
                                   description: "killed at its timeout")
        }
        if sig == 0 {
            let code = (status >> 8) & 0xff
            return ExitDescription(kind: "exited", code: code, signal: nil, description: "exited with status \(code)")
        }
        let name = String(cString: strsignal(sig))
        return ExitDescription(kind: "signaled", code: nil, signal: sig, description: "killed by signal \(sig) (\(name))")
    }

    public static func elapsed(_ a: timespec, _ b: timespec) -> UInt64 {
        let ns = (Int64(b.tv_sec) - Int64(a.tv_sec)) * 1_000_000_000 + (Int64(b.tv_nsec) - Int64(a.tv_nsec))
        return UInt64(max(ns, 0))
    }

    public static func nanos(_ t: timespec) -> UInt64 {
        UInt64(max(Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec), 0))
    }

    public static func nanos(_ t: timeval) -> UInt64 {
        UInt64(max(Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_usec) * 1000, 0))
    }
}

/// Kills a workload when its timeout passes, unless disarmed first.
public final class WorkloadDeadline: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false
    private var item: DispatchWorkItem?

    /// nil: no timeout.
    public init(_ timeout: TimeInterval?, kill: @escaping () -> Void) {
        guard let timeout else { return }
        let item = DispatchWorkItem { [weak self] in
            self?.markFired()
            kill()
        }
        self.item = item
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: item)
    }

    /// Left without disarming (an error on the way): the timer must not fire later.
    deinit { item?.cancel() }

    private func markFired() {
        lock.lock()
        fired = true
        lock.unlock()
    }

    /// Stops the timer; whether it had already fired.
    @discardableResult
    public func disarm() -> Bool {
        item?.cancel()
        lock.lock()
        defer { lock.unlock() }
        return fired
    }
}
