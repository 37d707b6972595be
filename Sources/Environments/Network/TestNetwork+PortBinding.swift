import Foundation
import Host
import IsoprobeCore

/// A plain Linux bridge forwards whatever a port sends, from any MAC and any address, to
/// any other port. Where nftables' bridge family exists, a network can bind each guest's
/// port: only frames from the port's own MAC and IPv4 address, ARP and IPv4 only, and IPv4
/// only to the peer. The rules live in the switch's namespace, so they go with it (no
/// resource of their own to release or sweep).
extension TestNetwork {
    /// The table and chain in the switch namespace's nftables.
    static let filterTable = "isoprobe"
    static let filterChain = "ports"

    /// Whether `nft` exists and the kernel takes a table of the bridge family (checked, not
    /// made: `nft --check`); the reason when not. Decided once per process.
    public static let bridgeFiltering: (available: Bool, reason: String) = {
        guard let nft = HostTool.find("nft") else {
            return (false, "nft (nftables) not found")
        }
        guard let result = try? HelperCommand.run([nft, "--check", "add", "table", "bridge", "isoprobe-probe"], timeout: 10),
              result.succeeded else {
            return (false, "the kernel has no nftables bridge family")
        }
        return (true, "nftables bridge family")
    }()

    /// From now on every port plugged binds its MAC and address; the table is made here.
    public func bindPorts() throws {
        guard Self.bridgeFiltering.available, let nft = HostTool.find("nft") else {
            throw IsoprobeError(.missing, "cannot bind the bridge's ports: \(Self.bridgeFiltering.reason)",
                                fix: "apt-get install -y nftables")
        }
        try Self.nft(nft, namespace: switchNamespace, [
            "add table bridge \(Self.filterTable)",
            "add chain bridge \(Self.filterTable) \(Self.filterChain) { type filter hook prerouting priority 0; policy accept; }",
        ])
        bindsPorts = true
    }

    /// The rules binding `port` (a bridge port in the switch namespace) to host number `host`.
    func bindPortIfAsked(_ port: String, host: Int) throws {
        guard bindsPorts, let nft = HostTool.find("nft") else { return }
        let rule = "add rule bridge \(Self.filterTable) \(Self.filterChain) iifname \"\(port)\""
        try Self.nft(nft, namespace: switchNamespace, [
            "\(rule) ether saddr != \(mac(host)) drop",
            "\(rule) ether type != { ip, arp } drop",
            "\(rule) arp saddr ether != \(mac(host)) drop",
            "\(rule) arp saddr ip != \(address(host)) drop",
            "\(rule) ip saddr != \(address(host)) drop",
            // A guest reaches the peer alone: not another guest, not the host's address.
            "\(rule) ip daddr != \(peerAddress) drop",
        ])
    }

    /// The ruleset of the switch namespace, as `nft list ruleset` prints it (for the report).
    public func portRules() -> String? {
        guard let nft = HostTool.find("nft"), let ip = HostTool.find("ip"),
              let result = try? HelperCommand.run([ip, "netns", "exec", switchNamespace, nft, "list", "ruleset"], timeout: 10),
              result.succeeded else { return nil }
        return result.stdout
    }

    private static func nft(_ nft: String, namespace: String, _ commands: [String]) throws {
        try NetworkNames.ip(["netns", "exec", namespace, nft, commands.joined(separator: "; ")])
    }
}
