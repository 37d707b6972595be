import CShim
import Foundation

func isoprobePipe(_ fds: inout [Int32]) -> Int32 {
    isoprobe_pipe_cloexec(&fds)
}

/// Starts argv where isoprobe is (no cgroup of its own), stdin from /dev/null. posix_spawn
/// (a vfork underneath) rather than fork: copying a large process's page tables costs
/// milliseconds, and runtime commands are on the path benchmarks time.
func spawnPlain(_ argv: [String], stdoutFD: Int32, stderrFD: Int32) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
    posix_spawn_file_actions_adddup2(&actions, stderrFD, 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // isoprobe ignores SIGINT/SIGTERM while it cleans up; the runtime must not inherit that.
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
    if rc != 0 {
        errno = rc
        return -1
    }
    return pid
}

/// Once per process: orphaned descendants (a container's first process) become ours.
let becomeSubreaper: Void = {
    _ = isoprobe_set_child_subreaper()
}()
