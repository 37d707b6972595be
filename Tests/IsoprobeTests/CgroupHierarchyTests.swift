import Environments
import Foundation
import IsoprobeCore
import Testing

@Suite struct CgroupHierarchyTests {
    /// A Debian host booted with systemd.unified_cgroup_hierarchy=0 (this test machine's layout).
    static let hybrid = """
        22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
        23 22 0:20 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
        31 23 0:28 / /sys/fs/cgroup rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:10 - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:13 - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:18 - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:19 - cgroup2 cgroup2 rw,nsdelegate
        """

    /// A current distribution: only cgroup2, at /sys/fs/cgroup.
    static let pure = """
        22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
        25 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        36 25 0:33 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:16 - tracefs tracefs rw
        """

    @Test func hybridLayout() throws {
        let h = try CgroupHierarchy.detect(mountinfo: Self.hybrid)
        #expect(h.mountPoint == "/sys/fs/cgroup/unified")
        #expect(h.mountRoot == "/")
        #expect(h.layout == .hybrid)
    }

    @Test func pureCgroup2Layout() throws {
        let h = try CgroupHierarchy.detect(mountinfo: Self.pure)
        #expect(h.mountPoint == "/sys/fs/cgroup")
        #expect(h.mountRoot == "/")
        #expect(h.layout == .unified)
    }

    @Test func noCgroup2IsAMissingRequirement() throws {
        let v1only = Self.hybrid.split(separator: "\n").filter { !$0.contains("cgroup2") }.joined(separator: "\n")
        let error = try #require(throws: IsoprobeError.self) { try CgroupHierarchy.detect(mountinfo: v1only) }
        #expect(error.kind == .missing)
        #expect(error.description.contains("cgroup2"))
        #expect(error.fix?.contains("mount -t cgroup2") == true)
    }

    @Test func escapedMountPoint() throws {
        let info = #"50 22 0:40 / /mnt/my\040cgroups rw,relatime - cgroup2 none rw"#
        let h = try CgroupHierarchy.detect(mountinfo: info)
        #expect(h.mountPoint == "/mnt/my cgroups")
    }

    @Test func levelBelowTheMount() throws {
        let hybrid = try CgroupHierarchy.detect(mountinfo: Self.hybrid)
        #expect(hybrid.level(of: "/sys/fs/cgroup/unified") == 0)
        #expect(hybrid.level(of: "/sys/fs/cgroup/unified/isoprobe-native-1-1") == 1)
        #expect(hybrid.level(of: "/sys/fs/cgroup/unified/a/b/") == 2)

        let pure = try CgroupHierarchy.detect(mountinfo: Self.pure)
        #expect(pure.level(of: "/sys/fs/cgroup/isoprobe-native-1-1") == 1)
        #expect(pure.level(of: "/sys/fs/cgroup/system.slice/x.service") == 2)
    }

    /// Inside a container the mount shows a sub-tree: its root's depth counts too,
    /// because the kernel's ancestor ids are indexed from the hierarchy's true root.
    @Test func levelCountsTheMountRoot() throws {
        let info = "900 800 0:26 /docker/abc123 /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw"
        let h = try CgroupHierarchy.detect(mountinfo: info)
        #expect(h.mountRoot == "/docker/abc123")
        #expect(h.level(of: "/sys/fs/cgroup") == 2)
        #expect(h.level(of: "/sys/fs/cgroup/isoprobe-native-1-1") == 3)
    }

    /// The live host: detect() reads /proc/self/mountinfo and finds what the kernel mounted.
    @Test func detectsThisHost() throws {
        let text = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        try #require(text.contains(" - cgroup2 "), "this host has no cgroup2 mount")
        let h = try CgroupHierarchy.detect()
        #expect(FileManager.default.fileExists(atPath: h.mountPoint + "/cgroup.procs"))
        #expect(h.layout == (text.contains(" - cgroup ") ? .hybrid : .unified))
    }
}
