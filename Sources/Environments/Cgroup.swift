import Foundation
import Host
import IsoprobeCore

/// A cgroup2 directory isoprobe made for a workload. Its owner kills what runs in it and
/// removes it with `remove()`, on success, failure and interruption alike.
public final class Cgroup: @unchecked Sendable {
    public let path: String
    public let id: UInt64
    public let level: Int
    /// An O_DIRECTORY descriptor, the handle clone3(CLONE_INTO_CGROUP) takes.
    public private(set) var fd: Int32
    private var removed = false
    private let ledgerToken: ResourceLedger.Token?

    public var target: CgroupTarget { CgroupTarget(path: path, id: id, level: level) }

    /// Creates `<hierarchy>/<name>`.
    public static func create(named name: String, in hierarchy: CgroupHierarchy) throws -> Cgroup {
        let path = (hierarchy.mountPoint as NSString).appendingPathComponent(name)
        let token = ResourceLedger.shared.record(.cgroup(path: path))
        if mkdir(path, 0o755) != 0 {
            let err = errno
            ResourceLedger.shared.release(token)
            let fix = err == EACCES || err == EPERM ? "run isoprobe as root" : nil
            throw IsoprobeError(.failed, "cannot create cgroup \(path)", fix: fix,
                                cause: ErrorWords.of(errno: err))
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0 else {
            let err = errno
            if fd >= 0 { close(fd) }
            rmdir(path)
            ResourceLedger.shared.release(token)
            throw IsoprobeError(.failed, "cannot open cgroup \(path)", cause: ErrorWords.of(errno: err))
        }
        return Cgroup(path: path, id: UInt64(st.st_ino), level: hierarchy.level(of: path), fd: fd, ledgerToken: token)
    }

    init(path: String, id: UInt64, level: Int, fd: Int32, ledgerToken: ResourceLedger.Token? = nil) {
        self.ledgerToken = ledgerToken
        self.path = path
        self.id = id
        self.level = level
        self.fd = fd
    }

    deinit { try? remove() }

    /// Process ids in this cgroup and its children.
    public func pids() -> [pid_t] { CgroupTree.pids(in: path) }

    /// SIGKILLs everything inside.
    public func killAll() { CgroupTree.killAll(in: path) }

    /// Kills what is left, waits for it to go, and removes the directory (children first).
    public func remove() throws {
        guard !removed else { return }
        removed = true
        defer {
            if fd >= 0 { close(fd); fd = -1 }
        }
        let err = CgroupTree.remove(path, within: 5)
        guard err == 0 else {
            throw IsoprobeError(.failed, "cannot remove cgroup \(path)",
                                fix: "remove it by hand once its processes have exited: rmdir \(path)",
                                cause: ErrorWords.of(errno: err))
        }
        ResourceLedger.shared.release(ledgerToken)
    }
}
