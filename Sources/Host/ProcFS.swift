import Foundation
import IsoprobeCore
import SystemPackage

/// What isoprobe reads from /proc, read and parsed here only.
///
/// Some of the processes read are untrusted (a container's, a QEMU guest's), and /proc
/// files report no size: every file is read with a cap (`readLimit`, or the smaller
/// `cmdlineLimit`), and what lies beyond the cap is not read. A file that cannot be read
/// (no such process, a process gone while being read, no permission) gives nil or an empty
/// list, never an error: a caller that needs it says what is missing.
///
/// IsoprobeCore reads /proc/cpuinfo itself (for `HostFacts`): it cannot depend on Host.
public enum ProcFS {
    /// The most read of any one file.
    public static let readLimit = 1 << 20
    /// The most read of a /proc/PID/cmdline: argv is the process's to write.
    public static let cmdlineLimit = 64 << 10
    /// The most read of /proc/self/mountinfo: the host's own, but one line per mount.
    public static let mountinfoLimit = 16 << 20

    // MARK: Processes

    /// Every process visible in /proc, ascending.
    public static func pids() -> [pid_t] {
        numericEntries(of: "/proc")
    }

    /// A process's threads (/proc/PID/task), ascending; empty if it is gone.
    public static func tasks(of pid: pid_t) -> [pid_t] {
        numericEntries(of: "/proc/\(pid)/task")
    }

    /// A process's children: those of each of its threads (/proc/PID/task/TID/children),
    /// in thread order. Reparented orphans are not among them.
    public static func children(of pid: pid_t) -> [pid_t] {
        tasks(of: pid).flatMap { task in
            (text("/proc/\(pid)/task/\(task)/children") ?? "")
                .split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }
        }
    }

    /// A process's arguments from /proc/PID/cmdline (at most `cmdlineLimit` bytes); nil if
    /// it cannot be read. A kernel thread or a zombie has none.
    public static func cmdline(of pid: pid_t) -> [String]? {
        read("/proc/\(pid)/cmdline", limit: cmdlineLimit).map(parseCmdline)
    }

    /// NUL-separated arguments, the last NUL optional (a process may rewrite its argv);
    /// empty arguments are kept.
    public static func parseCmdline(_ data: Data) -> [String] {
        guard !data.isEmpty else { return [] }
        var bytes = data[...]
        if bytes.last == 0 { bytes = bytes.dropLast() }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A process's /proc/PID/stat; nil if it is gone or the line does not parse.
    public static func stat(of pid: pid_t) -> Stat? {
        text("/proc/\(pid)/stat").flatMap(Stat.init(parsing:))
    }

    /// The fields of /proc/PID/stat that isoprobe uses, named as in proc(5).
    public struct Stat: Sendable, Equatable {
        /// Field 1.
        public var pid: pid_t
        /// Field 2, without its parentheses: the executable's name as the process set it
        /// (up to 15 bytes; spaces and parentheses included).
        public var comm: String
        /// Field 3: R running, S sleeping, D disk sleep, Z zombie, T stopped, t tracing
        /// stop, X dead, I idle, ...
        public var state: Character
        /// Field 4: the parent's pid.
        public var ppid: pid_t
        /// Field 5: the process group.
        public var pgrp: pid_t
        /// Field 6: the session.
        public var session: pid_t
        /// Field 14: user-mode time, in clock ticks (`clockTicksPerSecond`).
        public var utime: UInt64
        /// Field 15: kernel-mode time, in clock ticks.
        public var stime: UInt64
        /// Field 20 (num_threads): threads in the process.
        public var numThreads: Int
        /// Field 22: when the process started, in clock ticks after boot.
        public var starttime: UInt64

        /// Whether it has exited: a zombie (Z) or dead (X); it runs nothing any more.
        public var hasExited: Bool { state == "Z" || state == "X" }

        public init(pid: pid_t, comm: String, state: Character, ppid: pid_t, pgrp: pid_t, session: pid_t,
                    utime: UInt64, stime: UInt64, numThreads: Int, starttime: UInt64) {
            self.pid = pid
            self.comm = comm
            self.state = state
            self.ppid = ppid
            self.pgrp = pgrp
            self.session = session
            self.utime = utime
            self.stime = stime
            self.numThreads = numThreads
            self.starttime = starttime
        }

        /// "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so the
        /// fields after it are counted from the last ')'. nil unless every field above
        /// (up to starttime, field 22) is there and numeric where it should be.
        public init?(parsing line: String) {
            guard let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close,
                  let pid = pid_t(line[..<open].trimmingCharacters(in: .whitespaces)) else { return nil }
            // fields[0] is field 3 (state).
            let fields = line[line.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
            guard fields.count >= 20, fields[0].count == 1, let state = fields[0].first,
                  let ppid = pid_t(fields[1]), let pgrp = pid_t(fields[2]), let session = pid_t(fields[3]),
                  let utime = UInt64(fields[11]), let stime = UInt64(fields[12]), let threads = Int(fields[17]),
                  let start = UInt64(fields[19]) else { return nil }
            self.init(pid: pid, comm: String(line[line.index(after: open)..<close]), state: state, ppid: ppid,
                      pgrp: pgrp, session: session, utime: utime, stime: stime, numThreads: threads, starttime: start)
        }
    }

    /// Clock ticks per second, the unit of `Stat`'s times (sysconf(_SC_CLK_TCK), at least 1).
    public static var clockTicksPerSecond: UInt64 { UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1)) }

    /// A process's /proc/PID/schedstat; nil if it is gone (or the kernel lacks
    /// CONFIG_SCHED_INFO).
    public static func schedstat(of pid: pid_t) -> Schedstat? {
        text("/proc/\(pid)/schedstat").flatMap(Schedstat.init(parsing:))
    }

    /// /proc/PID/schedstat: three numbers for one task (for a pid, its main thread only,
    /// not the sum over its threads).
    public struct Schedstat: Sendable, Equatable {
        /// Time spent on a CPU, in nanoseconds.
        public var runTimeNs: UInt64
        /// Time spent waiting on a runqueue, in nanoseconds.
        public var waitTimeNs: UInt64
        /// Timeslices run on a CPU.
        public var timeslices: UInt64

        public init(runTimeNs: UInt64, waitTimeNs: UInt64, timeslices: UInt64) {
            self.runTimeNs = runTimeNs
            self.waitTimeNs = waitTimeNs
            self.timeslices = timeslices
        }

        /// "runtime wait timeslices\n".
        public init?(parsing line: String) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\n" })
            guard fields.count >= 3, let run = UInt64(fields[0]), let wait = UInt64(fields[1]),
                  let slices = UInt64(fields[2]) else { return nil }
            self.init(runTimeNs: run, waitTimeNs: wait, timeslices: slices)
        }
    }

    /// One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path".
    public struct CgroupEntry: Sendable, Equatable {
        /// 0 for the cgroup2 hierarchy.
        public var hierarchyID: Int
        /// Comma-separated in the file; empty for cgroup2.
        public var controllers: [String]
        /// Relative to the hierarchy's root as the reader's cgroup namespace sees it.
        public var path: String

        public init(hierarchyID: Int, controllers: [String], path: String) {
            self.hierarchyID = hierarchyID
            self.controllers = controllers
            self.path = path
        }

        /// True for cgroup2's "0::/path".
        public var isUnified: Bool { hierarchyID == 0 && controllers.isEmpty }
    }

    /// A process's cgroups, one per hierarchy; empty if it is gone.
    public static func cgroups(of pid: pid_t) -> [CgroupEntry] {
        parseCgroups(text("/proc/\(pid)/cgroup") ?? "")
    }

    /// Lines that do not have three fields are skipped; the path keeps any ':' it holds.
    public static func parseCgroups(_ text: String) -> [CgroupEntry] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Int(parts[0]) else { return nil }
            return CgroupEntry(hierarchyID: id, controllers: parts[1].split(separator: ",").map(String.init),
                               path: String(parts[2]))
        }
    }

    /// The process's cgroup2 path ("0::/path"); nil if it is in none or gone.
    public static func unifiedCgroup(of pid: pid_t) -> String? {
        cgroups(of: pid).first(where: \.isUnified)?.path
    }

    /// /proc/PID/status (nil: /proc/self/status) as "Key: value" pairs, values trimmed;
    /// empty if it cannot be read.
    public static func status(of pid: pid_t? = nil) -> [String: String] {
        parseStatus(text(directory(pid) + "/status") ?? "")
    }

    /// "Key:\tvalue" lines; the first of a repeated key is kept, lines without ':' skipped.
    public static func parseStatus(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            if fields[key] == nil {
                fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return fields
    }

    /// A capability set from status ("CapEff", "CapBnd", "CapPrm", ...) as its bit mask;
    /// nil if absent or not hexadecimal.
    public static func capabilities(_ key: String, of pid: pid_t? = nil) -> UInt64? {
        status(of: pid)[key].flatMap { UInt64($0, radix: 16) }
    }

    /// This process's capability bounding set by name: what a runtime it starts can grant
    /// a container. nil when /proc cannot tell.
    public static func boundingSet() -> [String]? {
        capabilities("CapBnd").map(CapabilityNames.names(inMask:))
    }

    /// Where the namespace link /proc/PID/ns/KIND points ("uts:[4026531838]"); nil: this
    /// process's.
    public static func namespace(_ kind: String, of pid: pid_t? = nil) -> String? {
        guard !kind.contains("/") else { return nil }
        return link(directory(pid) + "/ns/" + kind)
    }

    /// Whether pid holds a TCP socket listening on 127.0.0.1:port, from its network
    /// namespace's /proc/PID/net/tcp and its descriptors: a fact about the process that needs
    /// nothing written anywhere (a read-only root cannot hold a ready file).
    public static func listensOnLoopback(pid: pid_t, port: UInt16) -> Bool {
        guard let table = text(directory(pid) + "/net/tcp") else { return false }
        let inodes = listeningInodes(table, address: "0100007F", port: port)
        guard !inodes.isEmpty else { return false }
        let fds = directory(pid) + "/fd"
        return numericEntries(of: fds).contains { fd in
            link(fds + "/\(fd)").map { inodes.contains($0) } ?? false
        }
    }

    /// `socket:[INODE]` of each listening socket (state 0A) bound to address:port in a
    /// /proc/net/tcp table, the address as the kernel prints it (hex, host byte order).
    public static func listeningInodes(_ table: String, address: String, port: UInt16) -> Set<String> {
        let local = address + ":" + String(format: "%04X", port)
        var out: Set<String> = []
        for line in table.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ")
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            guard f.count > 9, f[1] == local, f[3] == "0A" else { continue }
            out.insert("socket:[\(f[9])]")
        }
        return out
    }

    // MARK: This process

    /// /proc/self/mountinfo as text (at most `mountinfoLimit` bytes); nil if unreadable.
    /// `CgroupHierarchy` parses it.
    public static func mountinfo() -> String? {
        text("/proc/self/mountinfo", limit: mountinfoLimit)
    }

    /// Every mount point of this process's mount namespace (mountinfo field 5), in order.
    public static func mountPoints(mountinfo: String? = nil) -> [String] {
        (mountinfo ?? self.mountinfo() ?? "").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5)
            return fields.count > 4 ? unescapeMountinfo(String(fields[4])) : nil
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    public static func unescapeMountinfo(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var chars = Array(s)[...]
        while let c = chars.popFirst() {
            if c == "\\", chars.count >= 3, let v = UInt8(String(chars.prefix(3)), radix: 8) {
                out.append(Character(UnicodeScalar(v)))
                chars = chars.dropFirst(3)
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// The running executable, resolved (/proc/self/exe); nil if the link cannot be read.
    public static var executablePath: String? {
        link("/proc/self/exe")
    }

    // MARK: The system

    /// A /proc/sys setting ("kernel/random/boot_id"), trimmed of whitespace; nil if it is
    /// not there or not readable. A path with a ".." component is refused.
    public static func sys(_ path: String) -> String? {
        guard !path.split(separator: "/").contains("..") else { return nil }
        return text("/proc/sys/" + path)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// /proc/cpuinfo as text (at most `readLimit` bytes: the first processors' entries on a
    /// host with very many); `path` for tests.
    public static func cpuinfo(path: String = "/proc/cpuinfo") -> String? {
        text(path)
    }

    // MARK: Reading

    /// At most `limit` bytes of the file at `path`, read until end of file; nil if it cannot
    /// be opened or read.
    public static func read(_ path: String, limit: Int = readLimit) -> Data? {
        guard let fd = try? FileDescriptor.open(path, .readOnly, options: .closeOnExec) else { return nil }
        defer { try? fd.close() }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: min(max(limit, 1), 1 << 16))
        while data.count < limit {
            let want = min(chunk.count, limit - data.count)
            let got = try? chunk.withUnsafeMutableBytes { try fd.read(into: .init(rebasing: $0[..<want])) }
            guard let got else { return nil }
            if got == 0 { break }
            data.append(contentsOf: chunk[..<got])
        }
        return data
    }

    /// `read` as UTF-8 text (invalid bytes replaced).
    public static func text(_ path: String, limit: Int = readLimit) -> String? {
        read(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Where a symbolic link points; nil if it is not one or cannot be read.
    static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func directory(_ pid: pid_t?) -> String {
        pid.map { "/proc/\($0)" } ?? "/proc/self"
    }

    /// The entries of a directory that are pids, ascending.
    static func numericEntries(of path: String) -> [pid_t] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var out: [pid_t] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.first?.isASCII == true, name.first?.isNumber == true, let pid = pid_t(name), pid > 0 { out.append(pid) }
        }
        return out.sorted()
    }
}
