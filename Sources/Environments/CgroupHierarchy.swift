import Foundation
import Host
import IsoprobeCore

/// Where cgroup2 is mounted: at /sys/fs/cgroup on pure cgroup2 hosts ("unified"), or
/// beside the v1 controllers, usually at /sys/fs/cgroup/unified ("hybrid").
public struct CgroupHierarchy: Sendable, Equatable {
    public enum Layout: String, Sendable { case unified, hybrid }

    public var mountPoint: String
    /// The mount's root inside the hierarchy (mountinfo field 4), "/" on the host.
    public var mountRoot: String
    public var layout: Layout

    public init(mountPoint: String, mountRoot: String, layout: Layout) {
        self.mountPoint = mountPoint
        self.mountRoot = mountRoot
        self.layout = layout
    }

    public static func detect(mountinfo: String? = nil) throws -> CgroupHierarchy {
        let text = mountinfo ?? (ProcFS.mountinfo() ?? "")
        var cgroup2: (point: String, root: String)?
        var hasV1 = false
        for line in text.split(separator: "\n") {
            // "36 25 0:31 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw"
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " ")
            let fstype = halves[1].split(separator: " ").first.map(String.init) ?? ""
            guard left.count >= 5 else { continue }
            if fstype == "cgroup2", cgroup2 == nil {
                cgroup2 = (ProcFS.unescapeMountinfo(String(left[4])), ProcFS.unescapeMountinfo(String(left[3])))
            } else if fstype == "cgroup" {
                hasV1 = true
            }
        }
        guard let found = cgroup2 else {
            throw IsoprobeError(.missing, "no cgroup2 hierarchy is mounted",
                                fix: "mount one: mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified")
        }
        return CgroupHierarchy(mountPoint: found.point, mountRoot: found.root,
                               layout: hasV1 ? .hybrid : .unified)
    }

    /// Depth of a directory below the hierarchy's true root, which the kernel's
    /// ancestor ids are indexed by.
    public func level(of path: String) -> Int {
        let inside = path == mountPoint || path.hasPrefix(mountPoint.hasSuffix("/") ? mountPoint : mountPoint + "/")
        let relative = inside ? String(path.dropFirst(mountPoint.count)) : path
        let rootDepth = mountRoot.split(separator: "/").count
        return rootDepth + relative.split(separator: "/").count
    }
}
