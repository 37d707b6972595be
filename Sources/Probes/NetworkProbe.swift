import BPF
import Foundation
import IsoprobeCore

/// probes/network.bpf.c over one run: retransmits and drops (with their reasons) of the
/// run's /24, and every CPU's NET_RX/NET_TX softirq time while the workload runs. It
/// matches packets by address, so it ignores the target cgroup it is told of. Optional:
/// where it cannot load, the figures say why.
public final class NetworkProbe: RunObserver {
    let directory: String
    /// The run's /24 as `a.b.c.0`.
    let subnet: String
    /// `host` or `guest`: which kernel the figures are from.
    let kernel: String
    private let probe = TargetedObject()
    private var unavailable: String?

    public init(directory: String, subnet: String, kernel: String = "host") {
        self.directory = directory
        self.subnet = subnet
        self.kernel = kernel
    }

    deinit { close() }

    public func targetReady(_ target: CgroupTarget) throws {
        let octets = subnet.split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4 else { throw IsoprobeError(.failed, "network probe: \(subnet) is not an IPv4 /24") }
        // In network byte order, as the kernel keeps addresses.
        let networkOrder = (octets[0] | octets[1] << 8 | octets[2] << 16)
        unavailable = try probe.open("network.bpf.o", in: directory, target: nil, name: "network",
                                     tracepoints: ["tcp_retransmit_skb", "kfree_skb", "softirq_entry", "softirq_exit"]) {
            try $0.setConstant("subnet", networkOrder)
        }
    }

    public func workloadFinished() { probe.detach() }

    /// The layout of `struct isoprobe_network_stat` (five __u64).
    struct Stat {
        var retransmits: UInt64
        var netRxNs: UInt64
        var netTxNs: UInt64
        var netRxCount: UInt64
        var netTxCount: UInt64
    }

    public func collect() throws -> NetworkProbeFigures {
        guard let object = probe.object else {
            return NetworkProbeFigures(kernel: kernel, retransmits: 0, drops: [], softirq: [],
                                       note: unavailable ?? "the network probe did not load")
        }
        let perCPU = try object.map(named: "stats").lookup(UInt32(0), as: Stat.self) ?? []
        let softirq = perCPU.enumerated().map { NetworkProbeFigures.SoftirqTime(cpu: $0.offset, netRxNs: $0.element.netRxNs,
                                                                                 netTxNs: $0.element.netTxNs) }
        let names = Self.dropReasons
        let map = try object.map(named: "drops")
        var drops: [NetworkProbeFigures.Drop] = []
        for key in try map.keys(as: UInt32.self) {
            guard let count = try map.lookup(key, as: UInt64.self)?.first else { continue }
            drops.append(.init(reason: names[Int64(key)] ?? "reason \(key)", code: Int(key), count: count))
        }
        return NetworkProbeFigures(kernel: kernel, retransmits: perCPU.reduce(0) { $0 + $1.retransmits },
                                   drops: drops.sorted { $0.count > $1.count }, softirq: softirq)
    }

    /// The kernel's own words for drop reasons (`enum skb_drop_reason` in its BTF).
    static let dropReasons = KernelBTF.enumerators(of: "skb_drop_reason", droppingPrefix: "SKB_DROP_REASON_")

    public func close() { probe.close() }
}
