import Foundation
@testable import GuestImage
import Testing

@Suite struct GuestRootTests {
    static var staticBusybox: Bool { (try? ELFFile(path: "/bin/busybox"))?.isStatic == true }

    @Test(.enabled(if: staticBusybox || TestSupport.inCI, "no static /bin/busybox (apt-get install busybox-static)"))
    func holdsBusyboxWorkloadsAccountsAndMountPoints() throws {
        let directory = try TestSupport.temporaryDirectory("guest-root")
        defer { TestSupport.remove(directory) }
        let workload = directory + "/spin"
        try TestSupport.compile("int main(void) { return 0; }", to: workload, ["-static"])
        let script = directory + "/job.sh"
        try "#!/bin/sh\necho job\n".write(toFile: script, atomically: false, encoding: .utf8)
        chmod(script, 0o755)

        let set = try FileSet.guestRoot(workloads: [workload, script, "/bin/ls"])
        #expect(set["/bin/busybox"]?.content == .file(source: "/bin/busybox"))
        #expect(set["/bin/busybox"]?.mode == 0o755)
        for applet in ["sh", "mount", "cat", "ls", "echo", "mkdir", "sleep", "ps", "ip", "hostname", "grep"] {
            #expect(set["/bin/" + applet]?.content == .symlink(target: "busybox"), "\(applet)")
        }
        #expect(set["/usr/bin/env"]?.content == .symlink(target: "../../bin/busybox"))
        #expect(set["/isoprobe/workloads/spin"]?.content == .file(source: workload))
        #expect(set["/isoprobe/workloads/job.sh"]?.content == .file(source: script))
        #expect(set["/isoprobe/workloads/ls"]?.content == .file(source: "/bin/ls"))
        #expect(set["/lib64/ld-linux-x86-64.so.2"] != nil, "the dynamic workload brings its loader")
        #expect(set["/lib/x86_64-linux-gnu/libc.so.6"] != nil)
        #expect(set["/isoprobe/bin/isoprobe"] == nil, "no agent asked for")

        guard case let .inline(passwd)? = set["/etc/passwd"]?.content,
              case let .inline(group)? = set["/etc/group"]?.content else {
            Issue.record("no generated /etc/passwd or /etc/group")
            return
        }
        let users = String(decoding: passwd, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ":")[0] }
        let groups = String(decoding: group, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ":")[0] }
        #expect(users == ["root", "nobody"])
        #expect(groups == ["root", "nobody"])
        #expect(set["/tmp"]?.mode == 0o1777)
        for mountPoint in ["/proc", "/sys", "/dev", "/run"] {
            #expect(set[mountPoint]?.content == .directory, "\(mountPoint)")
        }
    }

    /// The symlinks must name applets this busybox has, or the guest's `ip` is a dangling name.
    @Test(.enabled(if: staticBusybox || TestSupport.inCI, "no static /bin/busybox (apt-get install busybox-static)"))
    func everyLinkedAppletExistsInBusybox() throws {
        let list = try TestSupport.run("/bin/busybox", ["--list"])
        #expect(list.status == 0)
        let available = Set(list.stdout.split(separator: "\n").map(String.init))
        let missing = GuestLayout.applets.filter { !available.contains($0) }
        #expect(missing.isEmpty, "not in /bin/busybox: \(missing)")
    }

    @Test func dynamicBusyboxIsRefusedWithTheFix() throws {
        let error = #expect(throws: GuestImageError.self) {
            try FileSet.guestRoot(workloads: [], busybox: "/bin/ls")
        }
        #expect(error == .busyboxNotStatic(path: "/bin/ls", interpreter: "/lib64/ld-linux-x86-64.so.2"))
        let message = "\(error!)"
        #expect(message.contains("/bin/ls") && message.contains("apt-get install busybox-static"), "\(message)")
    }

    @Test(.enabled(if: staticBusybox || TestSupport.inCI, "no static /bin/busybox (apt-get install busybox-static)"))
    func twoWorkloadsWithOneNameConflict() throws {
        let directory = try TestSupport.temporaryDirectory("same-name")
        defer { TestSupport.remove(directory) }
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
            try "#!/bin/sh\necho \(sub)\n".write(toFile: "\(directory)/\(sub)/job", atomically: false, encoding: .utf8)
        }
        let error = #expect(throws: GuestImageError.self) {
            try FileSet.guestRoot(workloads: [directory + "/a/job", directory + "/b/job"])
        }
        guard case let .conflict(path, _, _)? = error else {
            Issue.record("want a conflict, got \(String(describing: error))")
            return
        }
        #expect(path == "/isoprobe/workloads/job")
    }

    /// The whole guest for the project's own build: the static getpid workload and the agent
    /// with its Swift runtime. Prints the archive size.
    @Test(.enabled(if: (staticBusybox && TestSupport.buildArtifactsPresent) || TestSupport.inCI,
                   "build/bin/isoprobe or build/workloads/getpid not built (make binary workloads)"))
    func projectGuestRootRunsTheAgentAndAWorkload() throws {
        let agent = GuestAgent(binary: TestSupport.builtAgent, probesDirectory: TestSupport.builtProbes)
        let set = try FileSet.guestRoot(workloads: [TestSupport.builtGetpid], agent: agent)
        #expect(set["/isoprobe/workloads/getpid"] != nil)
        #expect(set["/isoprobe/bin/isoprobe"]?.content == .file(source: TestSupport.builtAgent))
        #expect(set["/isoprobe/probes/syscalls.bpf.o"] != nil)
        #expect(set["/opt/swift/usr/lib/swift/linux/libswiftCore.so"] != nil, "the agent's Swift runtime")

        let directory = try TestSupport.temporaryDirectory("project-root")
        defer { TestSupport.remove(directory) }
        let archive = directory + "/initramfs.cpio"
        try set.writeCpioNewc(to: archive)
        let size = try #require(MaterializeTests.status(archive)).st_size
        let files = set.entries.filter { if case .file = $0.content { return true } else { return false } }
        print("guest root: \(set.count) entries, \(files.count) host files, cpio \(size) bytes")
        #expect(size > 0)
    }

    /// The same guest root, materialized and entered with chroot: the shell, the workload and
    /// the agent all start from it as the guest's init would start them.
    @Test(.enabled(if: (staticBusybox && TestSupport.buildArtifactsPresent && TestSupport.isRoot) || TestSupport.inCI,
                   "needs root (chroot) and the built agent and getpid workload (make binary workloads)"))
    func projectGuestRootRunsInAChroot() throws {
        try TestSupport.requireRoot()
        let agent = GuestAgent(binary: TestSupport.builtAgent, probesDirectory: TestSupport.builtProbes)
        let set = try FileSet.guestRoot(workloads: [TestSupport.builtGetpid], agent: agent)
        let directory = try TestSupport.temporaryDirectory("project-chroot")
        defer { TestSupport.remove(directory) }
        let root = directory + "/root"
        try set.materialize(into: root)
        let shell = try TestSupport.run("/usr/sbin/chroot", [root, "/bin/sh", "-c", "echo ok && ls /isoprobe"])
        #expect(shell.status == 0 && shell.stdout.hasPrefix("ok\n"), "\(shell.stdout) \(shell.stderr)")
        let workload = try TestSupport.run("/usr/sbin/chroot", [root, "/isoprobe/workloads/getpid", "count=1000"])
        #expect(workload.status == 0 && workload.stdout.contains("ops=1000"), "\(workload.stdout) \(workload.stderr)")
        let help = try TestSupport.run("/usr/sbin/chroot", [root, "/isoprobe/bin/isoprobe", "--help"])
        #expect(help.status == 0, "the agent does not start in its own root: \(help.stderr)")
    }
}
