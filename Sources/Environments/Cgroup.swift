import Foundation
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

    public var target: CgroupTarget { CgroupTarget(path: path, id: id, level: level) }

    /// Creates `<hierarchy>/<name>`.
    public static func create(named name: String, in hierarchy: CgroupHierarchy) throws -> Cgroup {
        let path = (hierarchy.mountPoint as NSString).appendingPathComponent(name)
        if mkdir(path, 0o755) != 0 {
            let err = errno
            let fix = err == EACCES || err == EPERM ? "run isoprobe as root" : nil
            throw IsoprobeError(.failed, "cannot create cgroup \(path)", fix: fix,
                                cause: String(cString: strerror(err)))
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0 else {
            let err = errno
            if fd >= 0 { close(fd) }
            rmdir(path)
            throw IsoprobeError(.failed, "cannot open cgroup \(path)", cause: String(cString: strerror(err)))
        }
        return Cgroup(path: path, id: UInt64(st.st_ino), level: hierarchy.level(of: path), fd: fd)
    }

    init(path: String, id: UInt64, level: Int, fd: Int32) {
        self.path = path
        self.id = id
        self.level = level
        self.fd = fd
    }

    deinit { try? remove() }

    /// Process ids in this cgroup and its children.
    public func pids() -> [pid_t] {
        var out: [pid_t] = []
        let fm = FileManager.default
        var stack = [path]
        while let dir = stack.popLast() {
            if let text = try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8) {
                out += text.split(separator: "\n").compactMap { pid_t($0) }
            }
            if let entries = try? fm.contentsOfDirectory(atPath: dir) {
                for e in entries where !e.contains(".") {
                    var isDir: ObjCBool = false
                    let p = dir + "/" + e
                    if fm.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue { stack.append(p) }
                }
            }
        }
        return out
    }

    /// SIGKILLs everything inside: cgroup.kill where the kernel has it (5.14+), else each pid.
    public func killAll() {
        if FileManager.default.fileExists(atPath: path + "/cgroup.kill"),
           (try? "1".write(toFile: path + "/cgroup.kill", atomically: false, encoding: .utf8)) != nil {
            return
        }
        for pid in pids() { kill(pid, SIGKILL) }
    }

    /// Kills what is left, waits for it to go, and removes the directory (children first).
    public func remove() throws {
        guard !removed else { return }
        removed = true
        defer {
            if fd >= 0 { close(fd); fd = -1 }
        }
        let deadline = Date().addingTimeInterval(5)
        var lastError: Int32 = 0
        while Date() < deadline {
            if !pids().isEmpty { killAll() }
            if Self.removeTree(path, error: &lastError) { return }
            usleep(10_000)
        }
        throw IsoprobeError(.failed, "cannot remove cgroup \(path)",
                            fix: "remove it by hand once its processes have exited: rmdir \(path)",
                            cause: String(cString: strerror(lastError)))
    }

    private static func removeTree(_ dir: String, error: inout Int32) -> Bool {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) {
            for e in entries where !e.contains(".") {
                var isDir: ObjCBool = false
                let p = dir + "/" + e
                if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue {
                    _ = removeTree(p, error: &error)
                }
            }
        }
        if rmdir(dir) == 0 || errno == ENOENT { return true }
        error = errno
        return false
    }
}
