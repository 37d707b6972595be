import Environments
import Host
import IsoprobeCore
import OCI

/// Storage workloads in a container: the plan's loop device, the same one a native run
/// gets, passed in through `linux.devices` and allowed by the device cgroup.
extension ContainerEnvironment {
    public func blockDevice(for spec: WorkloadSpec) throws -> String? {
        try block.device(for: spec)?.loop.path
    }

    /// Adds the block device to a workload's config when it needs one (making the device on
    /// first need), and lends the node to the container's root when a user namespace maps it
    /// elsewhere, for the plan only.
    func addBlockDevice(for spec: WorkloadSpec, to config: inout Spec) throws {
        guard let device = try block.device(for: spec) else { return }
        config.addBlockDevice(path: device.loop.path, major: device.loop.major, minor: device.loop.minor)
        if let ids = config.hostRootIDs { try device.loop.lend(to: ids.uid, gid: ids.gid) }
        if userConfig != nil {
            userConfigChanges.append(ConfigChange(
                "linux.devices", "+ \(device.loop.path) (block, rw; device cgroup allows it)",
                because: "the storage workload's raw block device, the same loop device a native run uses"))
        }
    }
}
