import Foundation
import IsoprobeCore

/// The names of what isoprobe makes for a network path, and `ip` (iproute2) run on them.
/// Every namespace and interface name starts with `isoprobe`, so nothing else on the host
/// is ever deleted by a sweep, and an interface name fits the kernel's 15 characters.
public enum NetworkNames {
    public static let prefix = "isoprobe"
    /// IFNAMSIZ less its NUL.
    public static let interfaceNameLimit = 15

    /// Runs `ip` with `args`; stdout, or an error naming the command and what ip said.
    @discardableResult
    public static func ip(_ args: [String]) throws -> String {
        guard let tool = HostTool.find("ip") else {
            throw IsoprobeError(.missing, "ip (iproute2) not found: the network path is made with it",
                                fix: "apt-get install -y iproute2")
        }
        let result = try HelperCommand.run([tool] + args, timeout: 30)
        guard result.succeeded else {
            throw IsoprobeError(.failed, "ip \(args.joined(separator: " ")) failed",
                                cause: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result.stdout
    }

    /// `ip netns delete`, for a name isoprobe made; a namespace already gone is not an error.
    public static func deleteNamespace(_ name: String) {
        guard name.hasPrefix(prefix), !name.contains("/") else { return }
        _ = try? ip(["netns", "delete", name])
    }

    /// `ip link delete` in the host's namespace, for a name isoprobe made.
    public static func deleteInterface(_ name: String) {
        guard name.hasPrefix(prefix), name.utf8.count <= interfaceNameLimit else { return }
        _ = try? ip(["link", "delete", name])
    }

    /// The named namespaces (`ip netns list`'s folder).
    public static let namespaceDirectory = "/run/netns"

    public static func namespaceExists(_ name: String) -> Bool {
        access(namespaceDirectory + "/" + name, F_OK) == 0
    }
}
