import CShim
import Foundation
import IsoprobeCore

/// Helper programs isoprobe runs where it is (a runtime's subcommands, a fixture's parameter
/// check, a tool's --version, QEMU, bpftrace): started with posix_spawn (a vfork underneath:
/// copying a large process's page tables costs milliseconds, and no run loop is needed,
/// which a guest's bare init lacks), stdin from /dev/null unless given.
public enum HelperCommand {
    public struct Result: Sendable {
        /// The exit code, or 128 + the signal that killed it.
        public var status: Int32
        /// Standard output as written (its last `stdoutLimit` bytes).
        public var stdoutData: Data
        /// Whether standard output was longer than `stdoutLimit` and lost its beginning.
        public var stdoutTruncated: Bool
        public var stderr: String
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
        public var succeeded: Bool { status == 0 }
    }

    /// Signals a helper starts with at their defaults: isoprobe ignores SIGINT/SIGTERM while
    /// it cleans up, and SIGPIPE always; a helper must not inherit that.
    static let defaultSignals = [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT]

    /// Starts argv (argv[0] a path) with stdin from `stdinFD` (nil: /dev/null), the given
    /// stdout and stderr, and each `inherited` descriptor (source, number the helper sees)
    /// open. Sources must be above every target (see `QEMUProcess.highDescriptor`), so that
    /// no dup2 overwrites a source still to be copied; dup2 clears close-on-exec on the copy.
    /// `newProcessGroup`: the helper leads a group of its own (one kill(-pid) reaches all it
    /// starts, and a terminal's Ctrl-C reaches isoprobe only). `closeOthers`: every other
    /// descriptor is closed, where glibc has posix_spawn_file_actions_addclosefrom_np
    /// (without it the helper inherits only what lacks close-on-exec). Signals start at
    /// their defaults (`defaultSignals`), none blocked.
    public static func spawn(_ argv: [String], stdinFD: Int32? = nil, stdoutFD: Int32, stderrFD: Int32,
                             inherited: [(source: Int32, target: Int32)] = [], newProcessGroup: Bool = false,
                             closeOthers: Bool = false) throws -> pid_t {
        guard let executable = argv.first else {
            throw IsoprobeError(.failed, "cannot start a helper without a command")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdinFD {
            posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrFD, 2)
        var highestTarget: Int32 = 2
        for (source, target) in inherited {
            posix_spawn_file_actions_adddup2(&actions, source, target)
            highestTarget = max(highestTarget, target)
        }
        if closeOthers { _ = addCloseFrom?(&actions, highestTarget + 1) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in defaultSignals { sigaddset(&defaults, sig) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, cArgs, environ)
        guard rc == 0 else {
            throw IsoprobeError(.failed, "cannot start \(executable)", cause: ErrorWords.of(errno: rc))
        }
        return pid
    }

    /// Waits for pid; its exit code, or 128 + the signal that killed it.
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        _ = retryingOnInterrupt { waitpid(pid, &status, 0) }
        return exitCode(status)
    }

    public static func exitCode(_ waitStatus: Int32) -> Int32 {
        (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
    }

    /// A close-on-exec pipe.
    public static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard isoprobe_pipe_cloexec(&fds) == 0 else {
            throw IsoprobeError(.failed, "pipe", cause: ErrorWords.of(errno: errno))
        }
        return (fds[0], fds[1])
    }

    /// Runs argv to completion, stdout (its last `stdoutLimit` bytes) and stderr captured
    /// (stdout to `stdoutFD` if given), killed after `timeout` seconds.
    public static func run(_ argv: [String], stdoutFD: Int32? = nil, timeout: TimeInterval = 60,
                           stdoutLimit: Int = 1 << 20) throws -> Result {
        let outPipe = stdoutFD == nil ? try pipe() : nil
        let errPipe: (read: Int32, write: Int32)
        do {
            errPipe = try pipe()
        } catch {
            if let outPipe { close(outPipe.read); close(outPipe.write) }
            throw error
        }
        let out = outPipe.map { OutputTail(fd: $0.read, echo: false, limit: stdoutLimit) }
        let err = OutputTail(fd: errPipe.read, echo: false, limit: 1 << 16)
        let pid: pid_t
        do {
            pid = try spawn(argv, stdoutFD: stdoutFD ?? outPipe!.write, stderrFD: errPipe.write)
        } catch {
            if let outPipe { close(outPipe.write) }
            close(errPipe.write)
            out?.finish()
            err.finish()
            throw error
        }
        // Only the helper holds the write ends now: its exit is their end of file.
        if let outPipe { close(outPipe.write) }
        close(errPipe.write)
        let killer = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let status = wait(pid)
        killer.cancel()
        return Result(status: status, stdoutData: out?.finishBytes() ?? Data(), stdoutTruncated: out?.truncated ?? false,
                      stderr: err.finish())
    }

    /// glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does
    /// not declare (it is _GNU_SOURCE-only).
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()
}
