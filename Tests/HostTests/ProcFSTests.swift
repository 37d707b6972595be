import Foundation
import Host
import Testing

@Suite struct ProcFSTests {
    /// A real line's shape: 52 fields, comm holding a space and parentheses.
    static let statLine = "1234 (a) b)) S 1 1234 1234 0 -1 4194560 120 0 3 0 17 5 0 0 20 0 2 0 98765 "
        + "1000000 200 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

    @Test func statIsReadFromTheLastParenthesis() throws {
        let stat = try #require(ProcFS.Stat(parsing: Self.statLine))
        #expect(stat.pid == 1234)
        #expect(stat.comm == "a) b)")
        #expect(stat.state == "S")
        #expect(stat.ppid == 1 && stat.pgrp == 1234 && stat.session == 1234)
        #expect(stat.utime == 17 && stat.stime == 5)
        #expect(stat.numThreads == 2)
        #expect(stat.starttime == 98765)
        #expect(!stat.hasExited)

        let zombie = try #require(ProcFS.Stat(parsing: Self.statLine.replacingOccurrences(of: ")) S ", with: ")) Z ")))
        #expect(zombie.hasExited)
        #expect(ProcFS.Stat(parsing: "1 (sh) S 0 1 1 0 -1 0 0 0 0 0 1 2 0 0") == nil, "cut short before starttime")
        #expect(ProcFS.Stat(parsing: "1 sh S 0 1 1") == nil, "no parentheses")
        #expect(ProcFS.Stat(parsing: "") == nil)
        #expect(ProcFS.Stat(parsing: Self.statLine.replacingOccurrences(of: " 98765 ", with: " x ")) == nil)
    }

    /// Listening sockets on loopback by port, from a /proc/net/tcp table; a connected socket
    /// or another address is not one.
    @Test func listeningSocketsOnLoopback() throws {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:B0A1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0
               1: 00000000:B0A1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 100 0 0 10 0
               2: 0100007F:B0A1 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4444 1 0 20 4 30 10 -1
            """
        #expect(ProcFS.listeningInodes(table, address: "0100007F", port: 0xB0A1) == ["socket:[4242]"])
        #expect(ProcFS.listeningInodes(table, address: "0100007F", port: 80).isEmpty)
        // This process: a listener of its own is seen, a port nobody holds is not.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: UInt32(0x7F00_0001).bigEndian),
                               sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        try #require(bound)
        let port = UInt16(bigEndian: addr.sin_port)
        #expect(ProcFS.listensOnLoopback(pid: getpid(), port: port))
        #expect(!ProcFS.listensOnLoopback(pid: getpid(), port: port &+ 1))
    }

    @Test func mountPointsAreUnescaped() {
        let info = """
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            40 22 0:35 / /mnt/with\\040space rw - tmpfs tmpfs rw
            """
        #expect(ProcFS.mountPoints(mountinfo: info) == ["/", "/mnt/with space"])
        #expect(ProcFS.mountPoints().contains("/"))
    }

    @Test func cmdlineIsSplitAtNULs() {
        func args(_ s: String) -> [String] { ProcFS.parseCmdline(Data(s.utf8)) }
        #expect(args("qemu\0-append\0console=ttyS0 quiet\0") == ["qemu", "-append", "console=ttyS0 quiet"])
        #expect(args("a\0\0b\0") == ["a", "", "b"], "an empty argument is kept")
        #expect(args("rewritten title") == ["rewritten title"], "the last NUL may be missing")
        #expect(args("") == [], "a kernel thread has none")
        #expect(args("\0") == [""])
    }

    @Test func statusIsKeyValueLines() {
        let status = ProcFS.parseStatus("Name:\tcat\nUmask:\t0022\nCapEff:\t000001ffffffffff\nno colon\nName:\tsecond\n")
        #expect(status["Name"] == "cat", "the first of a repeated key")
        #expect(status["Umask"] == "0022")
        #expect(status["CapEff"].flatMap { UInt64($0, radix: 16) } == 0x1ff_ffff_ffff)
        #expect(status.count == 3)
    }

    @Test func cgroupLinesKeepColonsInPaths() {
        let entries = ProcFS.parseCgroups("12:cpu,cpuacct:/a\n0::/isoprobe/x:y\nbroken\n")
        #expect(entries == [
            ProcFS.CgroupEntry(hierarchyID: 12, controllers: ["cpu", "cpuacct"], path: "/a"),
            ProcFS.CgroupEntry(hierarchyID: 0, controllers: [], path: "/isoprobe/x:y"),
        ])
        #expect(entries.first(where: \.isUnified)?.path == "/isoprobe/x:y")
    }

    @Test func schedstatHasThreeNumbers() {
        #expect(ProcFS.Schedstat(parsing: "123 45 6\n") == ProcFS.Schedstat(runTimeNs: 123, waitTimeNs: 45, timeslices: 6))
        #expect(ProcFS.Schedstat(parsing: "123\n") == nil)
    }

    @Test func thisProcessAsProcShowsIt() throws {
        let me = getpid()
        let pids = ProcFS.pids()
        #expect(pids.contains(me) && pids == pids.sorted())
        let stat = try #require(ProcFS.stat(of: me))
        #expect(stat.pid == me && stat.ppid == getppid() && stat.pgrp == getpgrp())
        #expect(ProcFS.tasks(of: me).contains(me))
        #expect(ProcFS.cmdline(of: me)?.first == CommandLine.arguments.first)
        #expect(ProcFS.status()["Pid"] == String(me))
        #expect(ProcFS.status(of: me)["Pid"] == String(me))
        #expect(ProcFS.capabilities("CapEff") != nil)
        let exe = try #require(ProcFS.executablePath)
        #expect(exe.hasPrefix("/") && FileManager.default.isExecutableFile(atPath: exe))
        #expect(ProcFS.namespace("uts")?.hasPrefix("uts:[") == true)
        #expect(ProcFS.namespace("../exe") == nil)
        #expect(ProcFS.sys("kernel/random/boot_id")?.count == 36)
        #expect(ProcFS.sys("../self/status") == nil)
        #expect(ProcFS.mountinfo()?.contains(" / ") == true)
        #expect(ProcFS.cpuinfo()?.contains("processor") == true)
        #expect(ProcFS.schedstat(of: me) != nil)
        #expect(ProcFS.unifiedCgroup(of: me)?.hasPrefix("/") == true)
    }

    @Test func aChildAndItsEnd() throws {
        let sleep = try #require(HostTool.find("sleep"))
        let pid = try HelperCommand.spawn([sleep, "60"], stdoutFD: 1, stderrFD: 2)
        var reaped = false
        defer { if !reaped { kill(pid, SIGKILL); _ = HelperCommand.wait(pid) } }
        #expect(ProcFS.children(of: getpid()).contains(pid))
        // The parent resumes once the child's new memory exists, a moment before its argv does.
        var arguments = ProcFS.cmdline(of: pid)
        for _ in 0..<1000 where arguments?.isEmpty == true {
            usleep(1000)
            arguments = ProcFS.cmdline(of: pid)
        }
        #expect(arguments == [sleep, "60"])
        #expect(ProcFS.stat(of: pid).map { $0.ppid == getpid() && !$0.hasExited } == true)
        kill(pid, SIGKILL)
        var seen: ProcFS.Stat?
        for _ in 0..<1000 {
            seen = ProcFS.stat(of: pid)
            if seen?.hasExited == true { break }
            usleep(1000)
        }
        #expect(seen?.hasExited == true, "a zombie until reaped")
        _ = HelperCommand.wait(pid)
        reaped = true
        #expect(ProcFS.stat(of: pid) == nil)
        #expect(ProcFS.cmdline(of: pid) == nil)
        #expect(ProcFS.tasks(of: pid).isEmpty)
    }

    @Test func readsAreBounded() throws {
        let path = NSTemporaryDirectory() + "isoprobe-procfs-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 65, count: 200_000).write(to: URL(fileURLWithPath: path))
        #expect(ProcFS.read(path, limit: 100_000)?.count == 100_000)
        #expect(ProcFS.read(path)?.count == 200_000)
        #expect(ProcFS.read(path + ".missing") == nil)
    }
}
