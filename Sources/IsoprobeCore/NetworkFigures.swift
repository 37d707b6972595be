/// A network run's path and what the peer's server saw (docs/result-schema.md, `network`).
public struct NetworkFigures: Codable, Sendable, Equatable {
    public var path: NetworkPath
    /// The server's own account of the run; nil when it gave none.
    public var peer: PeerServerFigures?
    /// The network probe's account in the host's kernel; nil when it did not run.
    public var probes: NetworkProbeFigures?
    /// A guest's: the same probe in the guest's own kernel.
    public var guestProbes: NetworkProbeFigures?
    /// The VMM's CPU time (its whole cgroup, from the host's sched probe) per transaction
    /// the peer served; guests only.
    public var vmmCpuPerTransactionNs: Double?
    /// The same CPU time per megabyte (10^6 bytes, both directions) the peer's server moved:
    /// a stream's equivalent of the cost per transaction; guests only.
    public var vmmCpuPerMegabyteNs: Double?

    public init(path: NetworkPath, peer: PeerServerFigures?, probes: NetworkProbeFigures? = nil) {
        self.path = path
        self.peer = peer
        self.probes = probes
    }
}

/// The way from an environment to the peer, as built: the device on the environment's
/// side, the bridge in isoprobe's switch namespace, the peer's veth.
public struct NetworkPath: Codable, Sendable, Equatable {
    /// `bridge` or `host` (a container in the host's namespace goes through the host's veth).
    public var mode: String
    /// `veth` or `tap` (a guest's virtio-net card behind a tap).
    public var device: String
    /// The environment's interface (the host's end of a veth, the container's, the tap).
    public var interface: String
    public var bridge: String
    /// The namespace the bridge is in, made by isoprobe for this run.
    public var switchNamespace: String
    public var address: String
    public var peerAddress: String
    public var mtu: Int
    /// For a tap: whether the guest's virtio-net queues are served by vhost-net in the host
    /// kernel (else by QEMU's own thread). nil for a veth.
    public var vhost: Bool?
    /// The environment-side device's offloads as `ethtool -k` names them (tx-checksumming,
    /// scatter-gather, tcp-segmentation-offload, generic-segmentation-offload,
    /// generic-receive-offload); empty when ethtool is not installed.
    public var offloads: [String: Bool]

    public init(mode: String, device: String, interface: String, bridge: String, switchNamespace: String,
                address: String, peerAddress: String, mtu: Int, vhost: Bool? = nil, offloads: [String: Bool] = [:]) {
        self.mode = mode
        self.device = device
        self.interface = interface
        self.bridge = bridge
        self.switchNamespace = switchNamespace
        self.address = address
        self.peerAddress = peerAddress
        self.mtu = mtu
        self.vhost = vhost
        self.offloads = offloads
    }

    /// "veth isoprobe3h → bridge isoprobe3br → veth → peer 198.18.3.1, MTU 1500, offloads: tso on, ..."
    public var summary: String {
        let card = device == "tap" ? "virtio-net → tap \(interface) (vhost-net \(vhost == true ? "on" : "off"))"
            : "veth \(interface)"
        let on = offloads.sorted { $0.key < $1.key }.map { "\(Self.short[$0.key] ?? $0.key) \($0.value ? "on" : "off")" }
        return "\(mode): \(card) → bridge \(bridge) → veth → peer \(peerAddress), MTU \(mtu)"
            + (on.isEmpty ? "" : ", offloads " + on.joined(separator: " "))
    }

    static let short = ["tx-checksumming": "tx-csum", "rx-checksumming": "rx-csum", "scatter-gather": "sg",
                        "tcp-segmentation-offload": "tso", "generic-segmentation-offload": "gso",
                        "generic-receive-offload": "gro"]
}

/// The peer's server's line at its end: what it served during one run, timed on its side.
public struct PeerServerFigures: Codable, Sendable, Equatable {
    public var connections: UInt64
    public var transactions: UInt64
    public var datagrams: UInt64
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    /// From each connection's accept to its end (and the first datagram to the last).
    public var busyNs: UInt64
    /// The server's own CPU time.
    public var cpuNs: UInt64

    public init(connections: UInt64, transactions: UInt64, datagrams: UInt64, bytesIn: UInt64, bytesOut: UInt64,
                busyNs: UInt64, cpuNs: UInt64) {
        self.connections = connections
        self.transactions = transactions
        self.datagrams = datagrams
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.busyNs = busyNs
        self.cpuNs = cpuNs
    }

    /// Parses `isoprobe-peer connections=C transactions=T ...`; nil without every field.
    public static func parse(line: Substring) -> PeerServerFigures? {
        guard line.hasPrefix("isoprobe-peer ") else { return nil }
        var fields: [String: UInt64] = [:]
        for token in line.split(separator: " ").dropFirst() {
            let kv = token.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let v = UInt64(kv[1]) { fields[String(kv[0])] = v }
        }
        guard let c = fields["connections"], let t = fields["transactions"], let d = fields["datagrams"],
              let bi = fields["bytes_in"], let bo = fields["bytes_out"], let busy = fields["busy_ns"],
              let cpu = fields["cpu_ns"] else { return nil }
        return PeerServerFigures(connections: c, transactions: t, datagrams: d, bytesIn: bi, bytesOut: bo,
                                 busyNs: busy, cpuNs: cpu)
    }
}

extension RunResult {
    /// A number from the workload's result line (`transactions_per_sec=...`), of a run that succeeded.
    public func workloadFigure(_ key: String) -> Double? {
        guard exit.succeeded else { return nil }
        return workloadReport?.extra[key].flatMap(Double.init)
    }
}

/// The network probe's account of a run (probes/network.bpf.c), in the kernel it loaded in:
/// the host's for native and container runs, and for a guest the host's view of its tap.
public struct NetworkProbeFigures: Codable, Sendable, Equatable {
    /// `host` or `guest`: the kernel the probe ran in.
    public var kernel: String
    /// TCP segments retransmitted on the run's /24.
    public var retransmits: UInt64
    /// Packets of the run's /24 freed as dropped (skb:kfree_skb), by the kernel's reason.
    public var drops: [Drop]
    /// Each CPU's NET_RX and NET_TX softirq time over the run. Softirqs run on whatever task
    /// they interrupt, so this time cannot be charged to a cgroup: it is the whole CPU's.
    public var softirq: [SoftirqTime]
    /// Bytes and packets through the environment's interface on the path, from its
    /// counters (the bridge side of the veth or tap) before and after the run.
    public var bytesSent: UInt64?
    public var bytesReceived: UInt64?
    /// Why a figure is missing (the probe could not load here), when it is.
    public var note: String?

    public struct Drop: Codable, Sendable, Equatable {
        public var reason: String
        public var code: Int
        public var count: UInt64
        public init(reason: String, code: Int, count: UInt64) {
            self.reason = reason
            self.code = code
            self.count = count
        }
    }

    public struct SoftirqTime: Codable, Sendable, Equatable {
        public var cpu: Int
        public var netRxNs: UInt64
        public var netTxNs: UInt64
        public init(cpu: Int, netRxNs: UInt64, netTxNs: UInt64) {
            self.cpu = cpu
            self.netRxNs = netRxNs
            self.netTxNs = netTxNs
        }
    }

    public init(kernel: String, retransmits: UInt64, drops: [Drop], softirq: [SoftirqTime], note: String? = nil) {
        self.kernel = kernel
        self.retransmits = retransmits
        self.drops = drops
        self.softirq = softirq
        self.note = note
    }
}
