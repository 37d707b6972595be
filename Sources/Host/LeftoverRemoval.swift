import Foundation
import IsoprobeCore

/// Releasing one holding whose owner is gone. Each step tolerates what is already gone,
/// so a sweep that is itself cut short can run again.
enum LeftoverRemoval {
    static func release(_ holding: ResourceLedger.Holding) {
        switch holding {
        case .process(let pid, let startTime):
            guard ResourceLedger.Owner(pid: pid, startTime: startTime).isAlive else { return }
            // A group leader (QEMU) takes what it started with it.
            if getpgid(pid) == pid { kill(-pid, SIGKILL) }
            kill(pid, SIGKILL)
        case .cgroup(let path):
            _ = CgroupTree.remove(path, within: 5)
        case .container(_, let delete):
            // Whatever the runtime says, its state folder is recorded apart and goes anyway.
            _ = try? HelperCommand.run(delete, timeout: 10)
        case .directory(let path):
            // A loop device over a file in it first (a kill before its own ledger line).
            LoopDevice.detachAll(under: path)
            try? FileManager.default.removeItem(atPath: path)
        case .mount(let path):
            umount2(path, Int32(MNT_DETACH))
        case .sharedMemory(let key):
            let id = shmget(key_t(key), 0, 0)
            if id >= 0 { shmctl(id, IPC_RMID, nil) }
        case .historySession:
            break
        case .networkNamespace(let name):
            NetworkNames.deleteNamespace(name)
        case .networkInterface(let name):
            NetworkNames.deleteInterface(name)
        case .loopDevice(let path, let backing):
            LoopDevice.detach(path, ifBacking: backing)
        case .deviceOwner(let path, let uid, let gid, let mode):
            chown(path, uid, gid)
            chmod(path, mode_t(mode))
        }
    }
}

/// A cgroup directory and its children, as the kernel shows them: the processes inside,
/// killing them, removing the tree once they are gone.
public enum CgroupTree {
    /// Process ids in `path` and its children.
    public static func pids(in path: String) -> [pid_t] {
        var out: [pid_t] = []
        var stack = [path]
        while let dir = stack.popLast() {
            if let text = ProcFS.text(dir + "/cgroup.procs") {
                out += text.split(separator: "\n").compactMap { pid_t($0) }
            }
            stack += children(of: dir)
        }
        return out
    }

    /// SIGKILLs everything inside: cgroup.kill where the kernel has it (5.14+), else each pid.
    public static func killAll(in path: String) {
        let fd = open(path + "/cgroup.kill", O_WRONLY | O_CLOEXEC)
        if fd >= 0 {
            let ok = write(fd, "1", 1) == 1
            close(fd)
            if ok { return }
        }
        for pid in pids(in: path) { kill(pid, SIGKILL) }
    }

    /// Kills what is inside until the tree can be removed, children first, for at most
    /// `seconds`; 0 once gone (or never there), else the errno of the last rmdir.
    public static func remove(_ path: String, within seconds: TimeInterval) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        var lastError: Int32 = 0
        while true {
            if !pids(in: path).isEmpty { killAll(in: path) }
            if removeTree(path, error: &lastError) { return 0 }
            if Date() >= deadline { return lastError }
            usleep(10_000)
        }
    }

    private static func children(of dir: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        // Interface files have dots in their names; child cgroups made here do not.
        return entries.filter { !$0.contains(".") }.map { dir + "/" + $0 }.filter {
            var st = stat()
            return lstat($0, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
        }
    }

    private static func removeTree(_ dir: String, error: inout Int32) -> Bool {
        for child in children(of: dir) { _ = removeTree(child, error: &error) }
        if rmdir(dir) == 0 || errno == ENOENT { return true }
        error = errno
        return false
    }
}
