import Environments
import Foundation
import Host
import IsoprobeCore

/// An OCI runtime binary (runc, crun, runsc, ...): where it is, what it says its version is,
/// and how to invoke it so that its state stays apart from the user's own containers.
public struct OCIRuntime: Sendable {
    public var name: String
    public var path: String
    public var version: String
    /// isoprobe's own state directory for this runtime (`--root`).
    public var stateRoot: String
    /// crun refuses hybrid cgroup hosts; it runs in a private mount namespace where
    /// cgroup2's controller list reads empty (an empty file bound over it).
    public var hidesHybridControllers: Bool

    /// `runc`, `crun`, another name (looked up as `HostTool.find` does), or a path.
    public static func resolve(_ spec: String, hierarchy: CgroupHierarchy) throws -> OCIRuntime {
        guard let path = HostTool.find(spec) else {
            let fix = ["runc", "crun"].contains(spec) ? "apt-get install -y \(spec)" : "give --runtime a path or a name on PATH"
            throw IsoprobeError(.missing, "OCI runtime '\(spec)' not found", fix: fix)
        }
        let name = (path as NSString).lastPathComponent
        let version = Self.version(of: path)
        return OCIRuntime(name: name, path: path, version: version,
                          stateRoot: "/run/isoprobe/\(name)",
                          hidesHybridControllers: name.hasPrefix("crun") && hierarchy.layout == .hybrid)
    }

    public static func version(of path: String) -> String {
        let result = try? HelperCommand.run([path, "--version"], timeout: 10)
        let first = result?.stdout.split(separator: "\n").first.map(String.init) ?? "unknown"
        return first.trimmingCharacters(in: .whitespaces)
    }

    /// argv for `<runtime> --root <state> ARGS`, wrapped for crun on hybrid hosts.
    public func command(_ args: [String], emptyFile: String) -> [String] {
        let direct = [path, "--root", stateRoot] + args
        guard hidesHybridControllers else { return direct }
        let script = "mount --bind \"$0\" /sys/fs/cgroup/unified/cgroup.controllers && exec \"$@\""
        return ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, emptyFile] + direct
    }

    public var description: EnvironmentDetails.Runtime {
        EnvironmentDetails.Runtime(name: name, version: version, path: path)
    }
}
