import CShim
import Foundation
import IsoprobeCore

/// Short-lived helper programs isoprobe runs where it is (a runtime's subcommands, a
/// fixture's parameter check, a tool's --version): started with posix_spawn (a vfork
/// underneath: copying a large process's page tables costs milliseconds, and no run loop
/// is needed, which a guest's bare init lacks), stdin from /dev/null.
public enum HelperCommand {
    public struct Result: Sendable {
        /// The exit code, or 128 + the signal that killed it.
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var succeeded: Bool { status == 0 }
    }

    /// Starts argv with the given stdout and stderr. Signals start at their defaults:
    /// isoprobe ignores SIGINT/SIGTERM while it cleans up, a helper must not inherit that.
    public static func spawn(_ argv: [String], stdoutFD: Int32, stderrFD: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrFD, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, sig) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        guard rc == 0 else {
            throw IsoprobeError(.failed, "cannot start \(argv[0])", cause: String(cString: strerror(rc)))
        }
        return pid
    }

    /// Waits for pid; its exit code, or 128 + the signal that killed it.
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return exitCode(status)
    }

    public static func exitCode(_ waitStatus: Int32) -> Int32 {
        (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
    }

    /// A close-on-exec pipe.
    public static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard isoprobe_pipe_cloexec(&fds) == 0 else {
            throw IsoprobeError(.failed, "pipe", cause: String(cString: strerror(errno)))
        }
        return (fds[0], fds[1])
    }

    /// Runs argv to completion, stdout and stderr captured (stdout to `stdoutFD` if given),
    /// killed after `timeout` seconds.
    public static func run(_ argv: [String], stdoutFD: Int32? = nil, timeout: TimeInterval = 60) throws -> Result {
        let outPipe = stdoutFD == nil ? try pipe() : nil
        let errPipe = try pipe()
        let out = outPipe.map { OutputTail(fd: $0.read, echo: false, limit: 1 << 20) }
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
        return Result(status: status, stdout: out?.finish() ?? "", stderr: err.finish())
    }
}
