import Foundation

extension Seccomp {
    /// isoprobe's default filter, modelled on Docker's default profile: everything not listed
    /// fails with EPERM. The allow list covers what glibc programs, busybox, python3, tar and
    /// gzip use; what is left out either reaches kernel state outside the container (modules,
    /// keyrings, mounts, namespaces, clocks, other processes' memory) or is a large attack
    /// surface a measurement never needs (bpf, perf_event_open, userfaultfd, io_uring).
    public static func dockerLikeDefault() -> Seccomp {
        var rules = [Syscall(names: allowedSyscalls, action: .allow)]
        // Docker's personality rule: the execution domains that change nothing dangerous,
        // and the query. One rule per value because conditions in one rule must all hold.
        rules += allowedPersonalities.map {
            Syscall(names: ["personality"], action: .allow, args: [Arg(index: 0, value: $0, op: .equal)])
        }
        // fork, vfork-like clone and threads, but no new namespaces: the container must not
        // build its own user namespace in which it would hold every capability.
        rules.append(Syscall(names: ["clone"], action: .allow,
                             args: [Arg(index: 0, value: namespaceCloneFlags, valueTwo: 0, op: .maskedEqual)]))
        // clone3 passes its flags in memory, out of seccomp's reach; ENOSYS makes glibc fall
        // back to clone, which the rule above can inspect.
        rules.append(Syscall(names: ["clone3"], action: .errno, errnoRet: 38))
        return Seccomp(defaultAction: .errno, defaultErrnoRet: defaultErrno,
                       architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                       syscalls: rules)
    }

    /// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET.
    public static let namespaceCloneFlags: UInt64 =
        0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000

    /// PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (query only).
    public static let allowedPersonalities: [UInt64] = [0x0, 0x8, 0x2_0000, 0x2_0008, 0xffff_ffff]

    /// Syscalls the default profile refuses on purpose, kept here so tests and
    /// `isoprobe verify` can check the list against the allow list and against the kernel.
    public static let refusedByDefault: [String] = [
        "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
        "keyctl", "add_key", "request_key",
        "unshare", "setns",
        "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
        "open_tree", "move_mount", "mount_setattr",
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        "kexec_load", "kexec_file_load", "reboot",
        "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms", "query_module",
        "open_by_handle_at", "name_to_handle_at",
        "swapon", "swapoff", "acct", "quotactl", "lookup_dcookie", "nfsservctl", "_sysctl", "uselib",
        "settimeofday", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime", "clock_adjtime64", "stime",
        "iopl", "ioperm", "vm86", "vm86old", "modify_ldt",
        "sethostname", "setdomainname", "syslog", "vhangup", "fanotify_init",
        "mbind", "set_mempolicy", "migrate_pages", "move_pages",
    ]

    /// The unconditional allow list, grouped by what the calls touch.
    public static let allowedSyscalls: [String] = files + processes + memory + time + signals
        + ipcAndEvents + sockets + compat32

    private static let files = [
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
        "open", "openat", "openat2", "creat", "close", "close_range", "lseek", "dup", "dup2", "dup3",
        "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2",
        "getdents", "getdents64", "getcwd", "chdir", "fchdir", "readlink", "readlinkat",
        "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat",
        "symlink", "symlinkat", "mknod", "mknodat", "truncate", "ftruncate", "fallocate",
        "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat", "umask",
        "utime", "utimes", "futimesat", "utimensat",
        "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr",
        "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
        "fcntl", "flock", "ioctl", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
        "fadvise64", "readahead", "sendfile", "splice", "tee", "vmsplice", "copy_file_range",
        "pipe", "pipe2", "select", "pselect6", "poll", "ppoll",
        "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
    ]

    private static let processes = [
        "execve", "execveat", "fork", "vfork", "exit", "exit_group", "wait4", "waitid",
        "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
        "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
        "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
        "capget", "capset", "prctl", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
        "uname", "sysinfo", "getcpu", "getrandom", "getrlimit", "setrlimit", "prlimit64", "getrusage", "times",
        "getpriority", "setpriority", "ioprio_get", "ioprio_set",
        "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
        "sched_getscheduler", "sched_setscheduler", "sched_getattr", "sched_setattr",
        "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
        "pidfd_open", "pidfd_send_signal", "seccomp", "restart_syscall",
    ]

    private static let memory = [
        "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "remap_file_pages",
        "mlock", "mlock2", "munlock", "mlockall", "munlockall", "membarrier", "memfd_create",
        "pkey_alloc", "pkey_free", "pkey_mprotect", "get_mempolicy",
    ]

    private static let time = [
        "clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "time", "nanosleep", "pause",
        "alarm", "getitimer", "setitimer",
        "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
        "timerfd_create", "timerfd_settime", "timerfd_gettime",
    ]

    private static let signals = [
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "kill", "tkill", "tgkill",
        "signalfd", "signalfd4",
    ]

    /// epoll stays allowed (Docker allows it, event loops and Go need it); io_uring does not.
    private static let ipcAndEvents = [
        "futex", "futex_waitv", "get_robust_list",
        "eventfd", "eventfd2", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
        "epoll_pwait2",
        "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
        "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
        "msgget", "msgsnd", "msgrcv", "msgctl",
        "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    ]

    private static let sockets = [
        "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "shutdown",
        "getsockname", "getpeername", "getsockopt", "setsockopt",
        "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
    ]

    /// The 32-bit (SCMP_ARCH_X86) spellings of calls allowed above, including the time64 ones;
    /// libseccomp ignores names an architecture does not have.
    private static let compat32 = [
        "_llseek", "_newselect", "stat64", "fstat64", "lstat64", "fstatat64", "statfs64", "fstatfs64",
        "fcntl64", "truncate64", "ftruncate64", "sendfile64", "fadvise64_64", "mmap2", "ugetrlimit",
        "chown32", "fchown32", "lchown32", "getuid32", "geteuid32", "getgid32", "getegid32",
        "getresuid32", "getresgid32", "getgroups32", "setuid32", "setgid32", "setreuid32", "setregid32",
        "setresuid32", "setresgid32", "setgroups32", "setfsuid32", "setfsgid32",
        "waitpid", "sigreturn", "sigaction", "sigprocmask", "sigpending", "sigsuspend", "signal",
        "socketcall", "ipc", "send", "recv", "set_thread_area", "get_thread_area",
        "clock_gettime64", "clock_getres_time64", "clock_nanosleep_time64", "timer_settime64",
        "timer_gettime64", "timerfd_settime64", "timerfd_gettime64", "utimensat_time64", "pselect6_time64",
        "ppoll_time64", "io_pgetevents_time64", "recvmmsg_time64", "mq_timedsend_time64",
        "mq_timedreceive_time64", "semtimedop_time64", "rt_sigtimedwait_time64", "futex_time64",
        "sched_rr_get_interval_time64",
    ]
}
