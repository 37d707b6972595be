/// Where things are inside every guest root, so the container and VM environments and the
/// agent agree without passing paths around. The agent finds its probes at `<bin>/../probes`.
public enum GuestLayout {
    public static let busybox = "/bin/busybox"
    public static let workloadsDirectory = "/isoprobe/workloads"
    public static let agentBinary = "/isoprobe/bin/isoprobe"
    public static let probesDirectory = "/isoprobe/probes"

    /// Busybox applets linked into /bin: what the fixture workloads' shell commands and a guest
    /// init use (mounts, network set-up, power-off), all present in Debian's busybox-static.
    public static let applets = [
        "sh", "ash", "[", "test", "true", "false", "echo", "printf", "cat", "ls", "mkdir", "rmdir",
        "rm", "cp", "mv", "ln", "touch", "chmod", "stat", "sleep", "usleep", "ps", "kill", "env", "id",
        "uname", "hostname", "grep", "sed", "awk", "head", "tail", "wc", "tr", "cut", "sort", "seq",
        "xargs", "find", "tar", "gzip", "dd", "date", "sync", "dmesg", "mount", "umount", "mknod",
        "ip", "ifconfig", "sysctl", "nproc", "timeout", "setsid", "switch_root", "poweroff", "reboot",
        "halt",
    ]
}

/// The isoprobe binary that runs inside the guest, and the compiled probes it loads there.
public struct GuestAgent: Equatable, Sendable {
    public var binary: String
    /// Its regular files (the *.bpf.o) go to `GuestLayout.probesDirectory`.
    public var probesDirectory: String?

    public init(binary: String, probesDirectory: String? = nil) {
        self.binary = binary
        self.probesDirectory = probesDirectory
    }
}
