import Environments
import Foundation
import Host

/// What the network workloads' path needs: veth pairs and a bridge in the kernel, /dev/net/tun
/// for guests, ip, nsenter and ethtool to build and describe it, and the field's own tools
/// (iperf3, sockperf); vhost-net where the host has it; nftables' bridge family for verify's
/// bound bridge ports.
extension Doctor {
    static func networkChecks() -> [Check] {
        var checks: [Check] = []
        for (kind, what) in [("veth", "veth pairs"), ("bridge", "Linux bridges")] {
            let made = canMake(kind)
            checks.append(Check(name: kind, ok: made, detail: made ? "\(what): made one in a throwaway namespace" : "\(what): the kernel refused one",
                                fix: made ? nil : "a kernel with CONFIG_\(kind.uppercased()) (or modprobe \(kind))", required: false))
        }
        let tun = access("/dev/net/tun", R_OK | W_OK) == 0
        checks.append(Check(name: "/dev/net/tun", ok: tun, detail: tun ? "present: guests get a tap" : "missing: guests cannot join the network",
                            fix: tun ? nil : "modprobe tun", required: false))
        let vhost = TestNetwork.vhostNet
        checks.append(Check(name: "/dev/vhost-net", ok: true,
                            detail: vhost ? "present: guests' virtio-net queues are served in the host kernel"
                                : "absent: guests' virtio-net queues are served by QEMU's own thread (reported as vhost off)",
                            fix: vhost ? nil : "modprobe vhost_net (optional)", required: false))
        for (tool, package) in [("ip", "iproute2"), ("nsenter", "util-linux"), ("ethtool", "ethtool"),
                                ("iperf3", "iperf3"), ("sockperf", "sockperf")] {
            let path = HostTool.find(tool)
            checks.append(Check(name: tool, ok: path != nil, detail: path ?? "not found",
                                fix: path == nil ? "apt-get install -y \(package)" : nil, required: false))
        }
        // verify binds each guest's bridge port to its MAC and address with nftables' bridge
        // family; without it a port may spoof, and verify reports that boundary open by design.
        let filtering = TestNetwork.bridgeFiltering
        checks.append(Check(name: "nftables bridge family", ok: filtering.available,
                            detail: filtering.available ? "nft takes a bridge table: verify binds each guest's bridge port"
                                : "\(filtering.reason): verify's bridge lets a port spoof (reported open by design)",
                            fix: filtering.available ? nil
                                : HostTool.find("nft") == nil ? "apt-get install -y nftables" : "a kernel with CONFIG_NF_TABLES_BRIDGE",
                            required: false))
        if let warning = bridgeFirewallWarning() {
            checks.append(Check(name: "bridge firewall", ok: true, detail: warning, fix: nil, required: false))
        }
        return checks
    }

    /// Whether the kernel makes a device of this kind: made by `ip` inside a network
    /// namespace of its own (`unshare --net`), which goes, device and all, when ip exits.
    static func canMake(_ kind: String) -> Bool {
        guard let unshare = HostTool.find("unshare"), let ip = HostTool.find("ip") else { return false }
        let argv = kind == "veth" ? [unshare, "--net", ip, "link", "add", "isoprobe-d0", "type", "veth", "peer", "name", "isoprobe-d1"]
            : [unshare, "--net", ip, "link", "add", "isoprobe-d0", "type", kind]
        return HostTool.output(argv, timeout: 10) != nil
    }

    /// Docker hosts load br_netfilter and set iptables' FORWARD policy to DROP, which drops
    /// bridged traffic in the host's namespace. isoprobe's bridge is in a namespace of its
    /// own, whose tables are empty; the warning says so.
    static func bridgeFirewallWarning() -> String? {
        guard access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) == 0,
              ProcFS.text("/proc/sys/net/bridge/bridge-nf-call-iptables")?.hasPrefix("1") == true,
              let iptables = HostTool.find("iptables"),
              let rules = HostTool.output([iptables, "-S", "FORWARD"], timeout: 10),
              String(decoding: rules, as: UTF8.self).contains("-P FORWARD DROP") else { return nil }
        return "warning: br_netfilter passes bridged frames to iptables and the host's FORWARD policy is DROP "
            + "(as on Docker hosts): a bridge in the host's namespace would drop them; isoprobe's bridge is in a "
            + "namespace of its own, whose tables are empty"
    }
}
