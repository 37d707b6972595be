import Foundation

extension FileSet {
    /// The root every isolated environment runs from, the same for the container and the VM:
    /// a static busybox with its applets in /bin (and /usr/bin/env for `#!/usr/bin/env`), the
    /// workloads in `GuestLayout.workloadsDirectory` under their file names, the agent and
    /// its probes when given, /etc/passwd and /etc/group with root and nobody, and the empty
    /// mount points /proc, /sys, /dev, /run and /tmp.
    ///
    /// Busybox must be static: it is the guest's init shell, which runs before anything else and
    /// in roots that hold no C library when every workload is static.
    public static func guestRoot(workloads: [String], busybox: String = "/bin/busybox",
                                 agent: GuestAgent? = nil,
                                 searchPath: LibrarySearchPath = .host()) throws -> FileSet {
        var set = FileSet()

        let busyboxELF = try ELFFile(path: busybox)
        guard busyboxELF.isStatic else {
            throw GuestImageError.busyboxNotStatic(path: busybox,
                                                   interpreter: busyboxELF.interpreter ?? busyboxELF.needed.joined(separator: ", "))
        }
        try set.addFile(from: busybox, at: GuestLayout.busybox, mode: 0o755)
        let busyboxName = (GuestLayout.busybox as NSString).lastPathComponent
        let busyboxDirectory = (GuestLayout.busybox as NSString).deletingLastPathComponent
        // Relative targets, so the links also resolve when the materialized tree is read from the host.
        for applet in GuestLayout.applets {
            try set.addSymlink(at: busyboxDirectory + "/" + applet, target: busyboxName)
        }
        try set.addSymlink(at: "/usr/bin/env", target: "../.." + GuestLayout.busybox)

        for workload in workloads {
            let name = (workload as NSString).lastPathComponent
            try set.addExecutable(workload, as: GuestLayout.workloadsDirectory + "/" + name, searchPath: searchPath)
        }

        if let agent {
            try set.addExecutable(agent.binary, as: GuestLayout.agentBinary, searchPath: searchPath)
            if let probes = agent.probesDirectory {
                try set.addDirectory(at: GuestLayout.probesDirectory)
                for name in try regularFiles(in: probes) {
                    try set.addFile(from: probes + "/" + name, at: GuestLayout.probesDirectory + "/" + name)
                }
            }
        }

        try set.addFile(at: "/etc/passwd", contents: """
            root:x:0:0:root:/root:/bin/sh
            nobody:x:65534:65534:nobody:/nonexistent:/bin/false

            """)
        try set.addFile(at: "/etc/group", contents: """
            root:x:0:
            nobody:x:65534:

            """)
        try set.addDirectory(at: "/root", mode: 0o700)
        try set.addDirectory(at: "/tmp", mode: 0o1777)
        for mountPoint in ["/proc", "/sys", "/dev", "/run"] {
            try set.addDirectory(at: mountPoint, mode: 0o755)
        }
        return set
    }

    private static func regularFiles(in directory: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw GuestImageError.unusableSource(directory, reason: "cannot list the probes directory")
        }
        return names.filter { name in
            var st = stat()
            return !name.hasPrefix(".") && stat(directory + "/" + name, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
        }.sorted()
    }
}
