import Foundation
import IsoprobeCore

/// Everything isoprobe makes on the host, written down as it is made, so that what a killed
/// isoprobe left (SIGKILL, a crash, a power cut) can be found and removed by the next one.
///
/// Each process has one record file, `<state>/owners/<pid>-<starttime>.jsonl`, named by its
/// owner: the pid and the process start time (clock ticks after boot, /proc/<pid>/stat
/// field 22), which together name one process for the life of the boot. A line is appended
/// before a thing is made (or at once after, when only then is its name known: mkdtemp) and
/// another when it is released; lines are short and appended with O_APPEND, so a reader
/// sees whole lines. The file goes when nothing is held. A record whose owner no longer
/// runs is abandoned: `ResourceLedger.sweep` releases what it still holds, newest first,
/// and removes it. A live owner's record is never touched.
///
/// The state folder survives a reboot (`/var/lib/isoprobe`, or `$ISOPROBE_STATE_DIR`):
/// after one, every record is abandoned, and what it names that a reboot did not clear
/// (scratch and bundle folders on disk, history sessions) is removed or marked all the same.
public final class ResourceLedger: @unchecked Sendable {
    public static let shared = ResourceLedger()

    /// Where this ledger keeps its owner records.
    let ownersDirectory: String

    /// A ledger under `stateDirectory` (tests use their own; isoprobe uses `shared`).
    public init(stateDirectory: String = ResourceLedger.stateDirectory) {
        ownersDirectory = Self.owners(in: stateDirectory)
    }

    /// `$ISOPROBE_STATE_DIR`, else /var/lib/isoprobe.
    public static var stateDirectory: String {
        let v = ProcessInfo.processInfo.environment["ISOPROBE_STATE_DIR"] ?? ""
        return v.isEmpty ? "/var/lib/isoprobe" : v
    }

    static func owners(in stateDirectory: String) -> String { stateDirectory + "/owners" }

    /// One thing held on the host, with what releasing it takes.
    public enum Holding: Codable, Sendable, Equatable {
        /// A process named by pid and start time (a VMM, a canary): SIGKILL to it and its
        /// process group, only while the same process still has that pid.
        case process(pid: Int32, startTime: UInt64)
        /// A cgroup directory: everything inside is killed, then the tree is removed.
        case cgroup(path: String)
        /// A container: the runtime's own `delete --force`, as argv.
        case container(id: String, delete: [String])
        /// A folder isoprobe made (bundle, scratch, guest work, runtime state).
        case directory(path: String)
        /// A filesystem isoprobe mounted.
        case mount(path: String)
        /// A SysV shared-memory segment, by key.
        case sharedMemory(key: Int32)
        /// A history session in progress: an abandoned one is marked so by whoever sweeps.
        /// The database is named without a password; the host label is whose session it is.
        case historySession(database: String, session: String, hostLabel: String?)
        /// A named network namespace (`ip netns`): deleted, and with it every interface inside.
        case networkNamespace(name: String)
        /// A network interface in the host's namespace (a veth's host end): deleted, and its
        /// peer with it.
        case networkInterface(name: String)
        /// A loop device attached to a backing file: detached while still attached to it.
        case loopDevice(path: String, backing: String)
        /// A device node lent to another owner (a container's mapped root): given back.
        case deviceOwner(path: String, uid: UInt32, gid: UInt32, mode: UInt32)
    }

    /// A holding's place in its owner's record; `release` takes it.
    public struct Token: Sendable, Hashable {
        let value: Int
    }

    public struct Line: Codable {
        /// A holding made (with its token), or released (`done`).
        public var add: Int?
        public var what: Holding?
        public var done: Int?

        public init(add: Int? = nil, what: Holding? = nil, done: Int? = nil) {
            self.add = add
            self.what = what
            self.done = done
        }
    }

    private let lock = NSLock()
    private var fd: Int32 = -1
    private var path: String?
    private var next = 1
    private var held: Set<Int> = []
    private var disabled = false

    /// Records a holding; the returned token releases it.
    @discardableResult
    public func record(_ holding: Holding) -> Token {
        lock.lock()
        defer { lock.unlock() }
        let token = Token(value: next)
        next += 1
        guard !disabled, openIfNeeded() else { return token }
        held.insert(token.value)
        append(Line(add: token.value, what: holding))
        return token
    }

    /// Marks a holding released (its owner removed it).
    public func release(_ token: Token?) {
        guard let token else { return }
        lock.lock()
        defer { lock.unlock() }
        guard held.remove(token.value) != nil else { return }
        if held.isEmpty {
            // Nothing held: the record goes, and the next holding starts a new one.
            if let path { unlink(path) }
            close(fd)
            fd = -1
            path = nil
        } else {
            append(Line(done: token.value))
        }
    }

    /// No record for this process (a guest's agent: its whole machine is thrown away).
    public func disable() {
        lock.lock()
        disabled = true
        lock.unlock()
    }

    private func openIfNeeded() -> Bool {
        if fd >= 0 { return true }
        guard let me = Owner.current else { return false }
        let dir = ownersDirectory
        if access(dir, F_OK) != 0 {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let file = dir + "/" + me.fileName
        fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        path = file
        return true
    }

    private func append(_ line: Line) {
        guard fd >= 0, var data = try? JSONEncoder().encode(line) else { return }
        data.append(10)
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// A process named by its pid and start time.
    public struct Owner: Sendable, Equatable, CustomStringConvertible {
        public var pid: Int32
        public var startTime: UInt64

        /// This process, read once: a record is opened anew for each run that holds something.
        public static let current: Owner? = ProcFS.stat(of: getpid()).map { Owner(pid: getpid(), startTime: $0.starttime) }

        public var fileName: String { "\(pid)-\(startTime).jsonl" }

        public init(pid: Int32, startTime: UInt64) {
            self.pid = pid
            self.startTime = startTime
        }

        init?(fileName: String) {
            guard fileName.hasSuffix(".jsonl") else { return nil }
            let parts = fileName.dropLast(".jsonl".count).split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), let start = UInt64(parts[1]) else { return nil }
            self.init(pid: pid, startTime: start)
        }

        /// The same process still runs (not a later one that reused the pid).
        public var isAlive: Bool {
            guard let stat = ProcFS.stat(of: pid) else { return false }
            return stat.starttime == startTime && !stat.hasExited
        }

        public var description: String { "pid \(pid)" }
    }

    /// What one dead owner still held, oldest first.
    public struct Abandoned: Sendable {
        public var owner: Owner
        public var holdings: [Holding]
        let file: String
    }

    /// Every record whose owner no longer runs, with what it still holds.
    public static func abandoned(in stateDirectory: String = ResourceLedger.stateDirectory) -> [Abandoned] {
        let dir = owners(in: stateDirectory)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.sorted().compactMap { name in
            guard let owner = Owner(fileName: name), !owner.isAlive else { return nil }
            let file = dir + "/" + name
            return Abandoned(owner: owner, holdings: holdings(in: file), file: file)
        }
    }

    /// Bounded: a record is a few hundred lines at most; a damaged line is skipped.
    static let recordLimit = 4 << 20

    public static func holdings(in file: String) -> [Holding] {
        guard let data = ProcFS.read(file, limit: recordLimit) else { return [] }
        var added: [(Int, Holding)] = []
        var done = Set<Int>()
        let decoder = JSONDecoder()
        for line in data.split(separator: 10) {
            guard let l = try? decoder.decode(Line.self, from: Data(line)) else { continue }
            if let id = l.add, let what = l.what { added.append((id, what)) }
            if let id = l.done { done.insert(id) }
        }
        return added.filter { !done.contains($0.0) }.map(\.1)
    }

    /// Releases what every dead owner held, newest first (a container before its cgroups and
    /// bundle), and removes their records. History sessions are handed to `session`, which
    /// marks them; the rest is released here. Returns what was found, per owner.
    @discardableResult
    public static func sweep(in stateDirectory: String = ResourceLedger.stateDirectory,
                             session: (String, String, String?) -> Void = { _, _, _ in }) -> [Abandoned] {
        let found = abandoned(in: stateDirectory)
        for record in found {
            for holding in record.holdings.reversed() {
                if case .historySession(let db, let id, let label) = holding { session(db, id, label) } else { LeftoverRemoval.release(holding) }
            }
            unlink(record.file)
        }
        return found
    }

    /// "2 cgroups, 1 container, 3 folders" for a notice.
    public static func summary(_ holdings: [Holding]) -> String {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for h in holdings {
            let noun = h.noun
            if counts[noun] == nil { order.append(noun) }
            counts[noun, default: 0] += 1
        }
        return order.map { n in counts[n]! == 1 ? "1 \(n)" : "\(counts[n]!) \(n)\(n.hasSuffix("s") ? "es" : "s")" }.joined(separator: ", ")
    }
}

extension ResourceLedger.Holding: CustomStringConvertible {
    var noun: String {
        switch self {
        case .process: "process"
        case .cgroup: "cgroup"
        case .container: "container"
        case .directory: "folder"
        case .mount: "mount"
        case .sharedMemory: "shared-memory segment"
        case .historySession: "history session"
        case .networkNamespace: "network namespace"
        case .networkInterface: "network interface"
        case .loopDevice: "loop device"
        case .deviceOwner: "lent device node"
        }
    }

    public var description: String {
        switch self {
        case .process(let pid, _): "process \(pid)"
        case .cgroup(let path): "cgroup \(path)"
        case .container(let id, _): "container \(id)"
        case .directory(let path): "folder \(path)"
        case .mount(let path): "mount \(path)"
        case .sharedMemory(let key): "shared-memory segment key \(key)"
        case .historySession(let db, let id, _): "history session \(id) in \(db)"
        case .networkNamespace(let name): "network namespace \(name)"
        case .networkInterface(let name): "network interface \(name)"
        case .loopDevice(let path, let backing): "loop device \(path) over \(backing)"
        case .deviceOwner(let path, _, _, _): "device node \(path) lent out"
        }
    }
}
