import Foundation
import OCI
import Testing

/// Real containers: runc runs the hardened profile on this host. Serialized so the cgroup and
/// container names stay easy to find and clean up.
@Suite(.serialized, .enabled(if: (getuid() == 0 && Runc.exists) || ProcessInfo.processInfo.environment["CI"] == "true",
                              "needs root and runc"))
struct RuncSmokeTests {
    init() throws {
        try #require(getuid() == 0, "needs root (CI runs as root)")
        try #require(Runc.exists, "runc is missing: apt-get install -y runc")
    }

    @Test(.timeLimit(.minutes(2))) func hardenedTrueExitsZero() throws {
        let result = try ContainerBundle.run("true", args: ["/bin/busybox", "true"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test(.timeLimit(.minutes(2))) func seccompFilterIsActiveInside() throws {
        let result = try ContainerBundle.run("seccomp",
                                             args: ["/bin/busybox", "sh", "-c", "cat /proc/self/status | grep Seccomp"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Seccomp:\t2"), "\(result.stdout)")
    }

    /// What the summary claims, observed from inside: no capabilities, no_new_privs, root
    /// mapped to 100000, a refused syscall fails with EPERM, an allowed personality works,
    /// a read-only root, a writable /tmp and the cgroup limits in force.
    @Test(.timeLimit(.minutes(2))) func summaryClaimsHoldInside() throws {
        let script = """
            grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status
            echo "uid_map $(cat /proc/self/uid_map)"
            /bin/busybox unshare -U true 2>&1; echo "unshare=$?"
            /bin/busybox linux32 true; echo "linux32=$?"
            touch /written 2>/dev/null; echo "root-write=$?"
            echo x > /tmp/x; echo "tmp-write=$?"
            echo "pids.max $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"
            echo "hostname $(hostname)"
            """
        let limits = ResourceLimits(cpus: 0.5, memoryBytes: 64 << 20, pids: 32)
        let result = try ContainerBundle.run("claims", args: ["/bin/busybox", "sh", "-c", script],
                                             limits: limits, userNamespace: true)
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("CapEff:\t0000000000000000"), "\(out)")
        #expect(out.contains("CapBnd:\t0000000000000000"), "\(out)")
        #expect(out.contains("NoNewPrivs:\t1"), "\(out)")
        #expect(out.contains("Seccomp:\t2"), "\(out)")
        let uidMap = out.split(separator: "\n").first { $0.hasPrefix("uid_map") }?
            .split(separator: " ").dropFirst().joined(separator: " ")
        #expect(uidMap == "0 100000 65536", "\(out)")
        // Creating a user namespace needs no capability, so only seccomp can refuse it.
        #expect(out.contains("unshare(0x10000000): Operation not permitted") && !out.contains("unshare=0"), "\(out)")
        #expect(out.contains("linux32=0"), "\(out)")
        #expect(!out.contains("root-write=0"), "\(out)")
        #expect(out.contains("tmp-write=0"), "\(out)")
        #expect(out.contains("pids.max 32"), "\(out)")
        #expect(out.contains("hostname isoprobe"), "\(out)")
    }

    /// The allow list is enough for real programs: threads and posix_spawn (clone3 refused
    /// with ENOSYS, so glibc falls back to clone), subprocesses, multiprocessing, asyncio
    /// (epoll), sockets, tar and gzip.
    @Test(.timeLimit(.minutes(2)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
                                             || ProcessInfo.processInfo.environment["CI"] == "true", "needs python3"))
    func hostPythonTarAndGzipRunUnderTheProfile() throws {
        let program = """
            import asyncio, multiprocessing, os, socket, subprocess, threading
            box = []
            t = threading.Thread(target=lambda: box.append("thread")); t.start(); t.join(); print(*box)
            print("spawn", os.waitpid(os.posix_spawn("/bin/true", ["true"], {}), 0)[1])
            a, b = socket.socketpair(); a.send(b"x"); print("socketpair", b.recv(1).decode())
            with multiprocessing.Pool(2) as pool: print("pool", sum(pool.map(abs, [-1, -2])))
            async def main(): await asyncio.sleep(0.01); return "asyncio"
            print(asyncio.run(main()))
            r = subprocess.run("tar czf /tmp/d.tgz /usr/share/doc/tar 2>/dev/null && gzip -t /tmp/d.tgz && echo targz",
                               shell=True, capture_output=True, text=True)
            print(r.stdout.strip())
            """
        let result = try ContainerBundle.run("python", args: ["/usr/bin/python3", "-c", program], hostUsr: true)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines == ["thread", "spawn 0", "socketpair x", "pool 3", "asyncio", "targz"], "\(result.stdout) \(result.stderr)")
    }
}

/// A bundle in a scratch directory: rootfs with a static busybox and the hardened config.
/// `run` always deletes the container, its cgroups and the directory, pass or fail.
enum ContainerBundle {
    /// With `hostUsr`, the rootfs is the host's /usr mounted read-only (with the merged-/usr
    /// links), so the host's own python3, tar and gzip run under the profile.
    static func run(_ name: String, args: [String], limits: ResourceLimits = .none, userNamespace: Bool = false,
                    hostUsr: Bool = false) throws -> (status: Int32, stdout: String, stderr: String)
    {
        let id = "ocitest-\(getpid())-\(name)"
        let dir = try makeTempDirectory(id)
        defer { cleanUp(id: id, dir: dir) }

        let fm = FileManager.default
        let rootfs = dir + "/rootfs"
        if hostUsr {
            try fm.createDirectory(atPath: rootfs + "/usr", withIntermediateDirectories: true)
            for (link, target) in [("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64"), ("sbin", "usr/sbin")] {
                try fm.createSymbolicLink(atPath: rootfs + "/" + link, withDestinationPath: target)
            }
        } else {
            try fm.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
            try fm.copyItem(atPath: try staticBusybox(), toPath: rootfs + "/bin/busybox")
            chmod(rootfs + "/bin", 0o755)
        }
        for path in Spec.hardenedRootfsDirectories {
            try fm.createDirectory(atPath: rootfs + path, withIntermediateDirectories: true)
        }
        // With a user namespace, container root is host uid 100000 and must reach the rootfs.
        for path in [dir, rootfs] { chmod(path, 0o755) }

        var spec = try Spec.hardened(rootfs: "rootfs", args: args, cgroupsPath: "/\(id)", limits: limits,
                                     userNamespace: userNamespace)
        if hostUsr {
            spec.mounts?.append(Mount(destination: "/usr", type: "bind", source: "/usr",
                                      options: ["rbind", "ro", "nosuid", "nodev"]))
        }
        try spec.write(to: dir + "/config.json")
        return runTool(Runc.path, ["run", "--bundle", dir, id], timeout: 60)
    }

    static func cleanUp(id: String, dir: String) {
        _ = runTool(Runc.path, ["delete", "-f", id], timeout: 30)
        let root = "/sys/fs/cgroup"
        let hierarchies = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for hierarchy in hierarchies {
            let path = "\(root)/\(hierarchy)/\(id)"
            if FileManager.default.fileExists(atPath: path) { rmdir(path) }
        }
        try? FileManager.default.removeItem(atPath: dir)
        let left = hierarchies.filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/\(id)") }
        #expect(left.isEmpty, "cgroups left behind: \(left)")
    }

    /// /bin/busybox, installed from busybox-static when missing. A dynamically linked one
    /// would not run in a rootfs that holds nothing else.
    static func staticBusybox() throws -> String {
        let path = "/bin/busybox"
        if !FileManager.default.fileExists(atPath: path) {
            let apt = runTool("/usr/bin/apt-get", ["install", "-y", "busybox-static"], timeout: 600)
            guard apt.status == 0 else { throw TestFailure("apt-get install busybox-static failed: \(apt.stderr)") }
        }
        guard try !hasInterpreter(path) else {
            throw TestFailure("\(path) is dynamically linked; install busybox-static")
        }
        return path
    }

    /// Whether an ELF64 file names a dynamic loader (a PT_INTERP program header).
    private static func hasInterpreter(_ path: String) throws -> Bool {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        func read<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T? {
            guard offset >= 0, offset + MemoryLayout<T>.size <= data.count else { return nil }
            return data[data.startIndex + offset ..< data.startIndex + offset + MemoryLayout<T>.size]
                .reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
        guard data.starts(with: [0x7F, 0x45, 0x4C, 0x46]), data.count > 4, data[data.startIndex + 4] == 2,
              let phoff = read(0x20, UInt64.self), let phentsize = read(0x36, UInt16.self),
              let phnum = read(0x38, UInt16.self) else {
            throw TestFailure("\(path) is not a 64-bit ELF file")
        }
        return (0 ..< Int(phnum)).contains { i in
            read(Int(phoff) + i * Int(phentsize), UInt32.self) == 3
        }
    }
}
