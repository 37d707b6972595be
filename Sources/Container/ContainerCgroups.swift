import Environments
import Foundation
import IsoprobeCore

/// The cgroups a container's first process is in, read from /proc/<pid>/cgroup between
/// create and start: the cgroup2 directory the probes filter on, and the v1 controller
/// directories. Runtimes remove what they made on delete but leave parents behind;
/// `removeLeftovers` takes those too.
struct ContainerCgroups {
    var unified: String?
    var v1: [String: String] = [:]

    static func of(pid: pid_t, hierarchy: CgroupHierarchy) -> ContainerCgroups {
        var result = ContainerCgroups()
        let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty {
                result.unified = hierarchy.mountPoint + (parts[2] == "/" ? "" : parts[2])
            } else {
                for controller in parts[1].split(separator: ",") where !controller.hasPrefix("name=") {
                    result.v1[String(controller)] = "/sys/fs/cgroup/\(controller)" + parts[2]
                }
            }
        }
        return result
    }

    func target(hierarchy: CgroupHierarchy) throws -> CgroupTarget {
        guard let unified else {
            throw IsoprobeError(.failed, "the container is in no cgroup2 directory, so the probes cannot filter on it")
        }
        var st = stat()
        guard stat(unified, &st) == 0 else {
            throw IsoprobeError(.failed, "cannot stat the container's cgroup \(unified)", cause: String(cString: strerror(errno)))
        }
        return CgroupTarget(path: unified, id: UInt64(st.st_ino), level: hierarchy.level(of: unified))
    }

    var allDirectories: [String] { ([unified].compactMap { $0 } + v1.values).sorted() }

    /// Removes the container's directories and any parents that did not exist before it
    /// was created (`existedBefore`), deepest first; directories still in use stay.
    func removeLeftovers(existedBefore: Set<String>) {
        var candidates = Set<String>()
        for dir in allDirectories {
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

    /// The directories that exist now along the paths a container with this cgroupsPath gets.
    static func existing(for cgroupsPath: String, hierarchy: CgroupHierarchy) -> Set<String> {
        var roots = [hierarchy.mountPoint]
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup") {
            roots += entries.map { "/sys/fs/cgroup/\($0)" }
        }
        var out = Set<String>()
        for root in roots {
            var d = root + cgroupsPath
            while d.count > root.count {
                if FileManager.default.fileExists(atPath: d) { out.insert(d) }
                d = (d as NSString).deletingLastPathComponent
            }
        }
        return out
    }
}
