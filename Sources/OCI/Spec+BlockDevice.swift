/// A block device handed to a container: the node in `linux.devices` and a device-cgroup
/// rule that lets the container read and write it (and nothing else the hardened profile
/// denies). The container sees it at the host's path: with a user namespace runc cannot
/// mknod and bind-mounts the host's node there instead.
extension Spec {
    public mutating func addBlockDevice(path: String, major: Int64, minor: Int64) {
        var linux = self.linux ?? Linux()
        linux.devices = (linux.devices ?? []).filter { $0.path != path }
            + [Linux.Device(type: "b", path: path, major: major, minor: minor, fileMode: 0o600, uid: 0, gid: 0)]
        var resources = linux.resources ?? Linux.Resources()
        resources.devices = (resources.devices ?? [])
            + [Linux.Resources.DeviceRule(allow: true, type: "b", major: major, minor: minor, access: "rw")]
        linux.resources = resources
        self.linux = linux
        var process = self.process ?? Process()
        process.env = (process.env ?? []).filter { !$0.hasPrefix("ISOPROBE_BLOCK=") } + ["ISOPROBE_BLOCK=\(path)"]
        self.process = process
    }

    /// Where the container's root lands on the host (nil without a user namespace).
    public var hostRootIDs: (uid: UInt32, gid: UInt32)? {
        guard let uid = linux?.uidMappings?.first(where: { $0.containerID == 0 }),
              let gid = linux?.gidMappings?.first(where: { $0.containerID == 0 }) else { return nil }
        return (uid.hostID, gid.hostID)
    }
}
