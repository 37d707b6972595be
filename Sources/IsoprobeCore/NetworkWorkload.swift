/// The workloads whose far end is a server in isoprobe's peer namespace (fixtures/network):
/// each environment reaches it over the path isoprobe builds (`NetworkPath`).
public enum NetworkWorkload: String, CaseIterable, Sendable {
    case tcpRR = "tcp-rr"
    case tcpCRR = "tcp-crr"
    case udpRR = "udp-rr"
    case tcpStream = "tcp-stream"
    /// The field's own tools (`ToolWorkload`).
    case iperf3
    case sockperf

    /// The fixture this spec names, when it is a network workload.
    public init?(spec: WorkloadSpec) {
        guard spec.command == nil else { return nil }
        self.init(rawValue: spec.name)
    }

    /// The figure a report leads with: throughput for a stream, transactions per second
    /// for request/response (netperf's own headline figures).
    public var primaryMetric: String {
        [.tcpStream, .iperf3].contains(self) ? "net_throughput_bps" : "net_transactions_per_sec"
    }

    /// The workload's argument that names the peer's address (isoprobe adds it).
    public static let hostParameter = "host"
    /// The fixtures' own default (a spec checked before the network exists).
    public static let defaultPeer = "198.18.0.1"

    /// A peer named in the spec must be on the path isoprobe builds (198.18.0.0/15) or
    /// loopback: no other address is ever a target.
    public static func checkPeer(of spec: WorkloadSpec) throws {
        guard NetworkWorkload(spec: spec) != nil, let host = spec.parameter(hostParameter) else { return }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 != nil }) else {
            throw IsoprobeError(.usage, "workload '\(spec.text)': host '\(host)' is not an IPv4 address")
        }
        let a = octets.map { $0! }
        guard (a[0] == 198 && (a[1] == 18 || a[1] == 19)) || a[0] == 127 else {
            throw IsoprobeError(.usage, "workload '\(spec.text)': host \(host) is outside 198.18.0.0/15 and loopback",
                                fix: "leave host out: isoprobe names its own peer")
        }
    }
}

/// `--network`: how a container reaches the peer. `bridge` gives it a namespace of its own
/// joined to isoprobe's bridge by a veth pair, as Docker's default bridge network does;
/// `host` runs it in the host's namespace (a labelled variant of the container environment);
/// `none` leaves it only loopback.
public enum NetworkMode: String, CaseIterable, Sendable, Codable {
    case bridge, host, none
}
