import Foundation
import IsoprobeCore
import OCI
import Probes

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
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") }),
              let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) else {
            return CapabilityProbe.names
        }
        return CapabilityProbe.names.enumerated().filter { mask & (1 << UInt64($0.offset)) != 0 }.map(\.element)
    }

    /// Writes the control's config.json into `directory`; its path.
    public static func writeConfig(in directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("weakened-control.json")
        try spec().write(to: path)
        return path
    }
}
