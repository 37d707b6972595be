import Foundation
import OCI
import Testing

/// The loop device a storage workload gets in a container: a node in linux.devices, a
/// device-cgroup rule for exactly that device after the profile's deny-all, its path in
/// ISOPROBE_BLOCK; with a user namespace, the host ids the node is lent to.
@Suite struct BlockDeviceSpecTests {
    @Test func theDeviceIsAllowedAfterTheDenyAll() throws {
        var spec = try Spec.hardened(rootfs: "rootfs", args: ["/w/blockio"], cgroupsPath: "/isoprobe-x", userNamespace: true)
        spec.addBlockDevice(path: "/dev/loop5", major: 7, minor: 5)
        #expect(spec.linux?.devices == [Linux.Device(type: "b", path: "/dev/loop5", major: 7, minor: 5, fileMode: 0o600, uid: 0, gid: 0)])
        let rules = try #require(spec.linux?.resources?.devices)
        #expect(rules.first == Linux.Resources.DeviceRule(allow: false, access: "rwm"))
        #expect(rules.last == Linux.Resources.DeviceRule(allow: true, type: "b", major: 7, minor: 5, access: "rw"))
        #expect(spec.process?.env?.filter { $0.hasPrefix("ISOPROBE_BLOCK=") } == ["ISOPROBE_BLOCK=/dev/loop5"])
        #expect(spec.hostRootIDs?.uid == Spec.userNamespaceHostID)
    }
}
