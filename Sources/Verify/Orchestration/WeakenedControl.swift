import Foundation
import Host
import IsoprobeCore
import OCI

/// The deliberately weakened container every verify run includes: the hardened profile
/// with the host's pid and network namespaces, every capability in every set, no seccomp
/// and no no_new_privs. Its checks must fail, which shows the checks can see a breach.
public enum WeakenedControl {
    public static func spec() throws -> Spec {
        var spec = try Spec.hardened(rootfs: "rootfs", args: ["/boundaries"], userNamespace: false)
        let all = hostBoundingSet()
        spec.process?.capabilities = Process.Capabilities(bounding: all, effective: all, inheritable: all,
                                                          permitted: all, ambient: all)
        spec.process?.noNewPrivileges = false
        if var linux = spec.linux {
            linux.namespaces = linux.namespaces?.filter { $0.type != .pid && $0.type != .network }
            linux.seccomp = nil
            spec.linux = linux
        }
        return spec
    }

    /// Every capability isoprobe itself may hand on: a runtime refuses to start a container
    /// asking for one outside its own bounding set (a host that drops CAP_SYS_RESOURCE).
    static func hostBoundingSet() -> [String] {
        ProcFS.boundingSet() ?? CapabilityNames.all
    }

    /// Writes the control's config.json into `directory`; its path.
    public static func writeConfig(in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("weakened-control.json")
        try spec().write(to: path)
        return path
    }
}
