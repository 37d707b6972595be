import Environments
import Foundation
import Host
import IsoprobeCore

/// The cgroup directories a container with a given cgroupsPath gets: one under cgroup2
/// and, on hybrid hosts, one under each v1 hierarchy. Runtimes remove what they made on
/// delete but leave parents behind; `removeLeftovers` takes those too, sparing whatever
/// existed before the run.
struct ContainerCgroups {
    let directories: [String]
    /// Those of `directories` and their parents that existed when this was made.
    let existedBefore: Set<String>

    init(cgroupsPath: String, hierarchy: CgroupHierarchy) {
        let roots = Self.roots(hierarchy)
        directories = roots.map { $0 + cgroupsPath }
        var existing = Set<String>()
        for (root, dir) in zip(roots, directories) {
            var d = dir
            while d.count > root.count {
                if FileManager.default.fileExists(atPath: d) { existing.insert(d) }
                d = (d as NSString).deletingLastPathComponent
            }
        }
        existedBefore = existing
    }

    /// The cgroup2 mount and every v1 hierarchy under /sys/fs/cgroup.
    static func roots(_ hierarchy: CgroupHierarchy) -> [String] {
        var roots = [hierarchy.mountPoint]
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup") {
            roots += entries.map { "/sys/fs/cgroup/\($0)" }.filter { $0 != hierarchy.mountPoint }
        }
        return roots
    }

    /// The cgroup2 directory a process is in (from /proc/<pid>/cgroup), for the probes.
    static func target(ofProcess pid: pid_t, hierarchy: CgroupHierarchy) throws -> CgroupTarget {
        guard let relative = ProcFS.unifiedCgroup(of: pid) else {
            throw IsoprobeError(.failed, "the container is in no cgroup2 directory, so the probes cannot filter on it")
        }
        let path = hierarchy.mountPoint + (relative == "/" ? "" : relative)
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw IsoprobeError(.failed, "cannot stat the container's cgroup \(path)", cause: ErrorWords.of(errno: errno))
        }
        return CgroupTarget(path: path, id: UInt64(st.st_ino), level: hierarchy.level(of: path))
    }

    /// Removes the container's directories and any parents that did not exist before it
    /// was created, deepest first; directories still in use stay.
    func removeLeftovers() {
        var candidates = Set<String>()
        for dir in directories {
            var d = dir
            while d.count > 1 && !existedBefore.contains(d) && !Self.isControllerRoot(d) {
                candidates.insert(d)
                d = (d as NSString).deletingLastPathComponent
            }
        }
        for dir in candidates.sorted(by: { $0.count > $1.count }) {
            rmdir(dir)
        }
    }

    static func isControllerRoot(_ path: String) -> Bool {
        path == "/sys/fs/cgroup" || (path as NSString).deletingLastPathComponent == "/sys/fs/cgroup"
    }
}
