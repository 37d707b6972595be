import Foundation

extension Spec {
    /// The environment a hardened container gets when the caller names none.
    public static let defaultEnv = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

    /// The capabilities a hardened container keeps: none. A workload only signals, waits for
    /// and measures its own processes, which run as its own uid, so even CAP_KILL buys nothing;
    /// an empty set also makes "which capability did the workload use" trivially answerable.
    public static let hardenedCapabilities: [String] = []

    /// Where the container's uid and gid 0 land on the host with `userNamespace: true`, and how
    /// many ids are mapped: the conventional subordinate range, far from real host users.
    public static let userNamespaceHostID: UInt32 = 100_000
    public static let userNamespaceSize: UInt32 = 65_536

    /// runc's default masked paths (`runc spec`), plus powercap: its energy counters leak what
    /// other tenants compute (the PLATYPUS side channel), and Docker masks it too.
    public static let hardenedMaskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
        "/sys/devices/virtual/powercap",
    ]

    /// runc's default read-only paths (`runc spec`).
    public static let hardenedReadonlyPaths = [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ]

    /// The profile isoprobe runs container workloads with: every namespace private (user too
    /// when asked), no capabilities, no_new_privs, a read-only root with a tmpfs /tmp to write
    /// in, runc's masked and read-only /proc paths, Docker-like seccomp, and `limits` as cgroup
    /// limits. `rootfs` is relative to the bundle unless absolute. Throws when an input is one
    /// runc or the kernel would refuse, naming it.
    public static func hardened(rootfs: String, args: [String], env: [String] = Spec.defaultEnv,
                                cwd: String = "/", hostname: String = "isoprobe", cgroupsPath: String? = nil,
                                limits: ResourceLimits = .none, userNamespace: Bool = false) throws -> Spec {
        guard !rootfs.isEmpty else { throw OCIConfigError("root.path", "must not be empty") }
        guard let program = args.first, !program.isEmpty else {
            throw OCIConfigError("process.args", "must name a program to run")
        }
        guard cwd.hasPrefix("/") else { throw OCIConfigError("process.cwd", "must be absolute, got '\(cwd)'") }

        let caps = hardenedCapabilities
        let process = Process(
            terminal: false,
            user: .init(uid: 0, gid: 0),
            args: args, env: env, cwd: cwd,
            capabilities: .init(bounding: caps, effective: caps, inheritable: [], permitted: caps, ambient: []),
            rlimits: [.init(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)],
            noNewPrivileges: true)

        var namespaces: [Linux.Namespace] = [.pid, .network, .ipc, .uts, .mount, .cgroup].map { .init(type: $0) }
        var idMappings: [Linux.IDMapping]?
        if userNamespace {
            namespaces.append(.init(type: .user))
            idMappings = [.init(containerID: 0, hostID: userNamespaceHostID, size: userNamespaceSize)]
        }

        // Deny every device, as `runc spec` does; runc then allows only the few nodes it
        // creates itself (null, zero, full, random, urandom, tty, the pty pair).
        let resources = try limits.resources(devices: [.init(allow: false, access: "rwm")])

        let linux = Linux(namespaces: namespaces, uidMappings: idMappings, gidMappings: idMappings,
                          cgroupsPath: cgroupsPath, resources: resources, seccomp: .dockerLikeDefault(),
                          maskedPaths: hardenedMaskedPaths, readonlyPaths: hardenedReadonlyPaths)
        return Spec(process: process, root: .init(path: rootfs, readonly: true), hostname: hostname,
                    mounts: hardenedMounts, linux: linux)
    }

    /// The `runc spec` mounts, plus /tmp: the root is read-only, so this is the only place a
    /// workload can write, and its size cap keeps a runaway workload off the host's memory.
    public static let hardenedMounts: [Mount] = [
        Mount(destination: "/proc", type: "proc", source: "proc"),
        Mount(destination: "/dev", type: "tmpfs", source: "tmpfs",
              options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
              options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        Mount(destination: "/dev/shm", type: "tmpfs", source: "shm",
              options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
              options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/sys", type: "sysfs", source: "sysfs",
              options: ["nosuid", "noexec", "nodev", "ro"]),
        Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
              options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        Mount(destination: "/tmp", type: "tmpfs", source: "tmpfs",
              options: ["nosuid", "nodev", "mode=1777", "size=65536k"]),
    ]
}

extension Spec {
    /// The directories a rootfs must already hold for `hardenedMounts` (/proc, /dev, /sys, /tmp).
    /// runc creates missing mount points itself, but as container root: with a user namespace
    /// that is host uid 100000, which cannot write a root-owned rootfs, and runc then fails
    /// with "mkdir <rootfs>/proc: permission denied". Deeper mount points live on the mounts.
    public static var hardenedRootfsDirectories: [String] {
        var seen: [String] = []
        for mount in hardenedMounts {
            let top = "/" + (mount.destination.split(separator: "/").first.map(String.init) ?? "")
            if !seen.contains(top) { seen.append(top) }
        }
        return seen
    }
}
