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

/// `--network bridge,host`: the container's network, or both variants of it in one plan,
/// the bridged container (`container`) beside the one in the host's namespace
/// (`container-host`), so that their rounds pair and one can be judged against the other.
public struct NetworkModes: Sendable, Equatable {
    public var modes: [NetworkMode]

    public init(_ modes: [NetworkMode]) { self.modes = modes }

    /// Each word a mode; nil for any other word. Which lists make sense is `problem`'s to say.
    public init?(words: String) {
        var modes: [NetworkMode] = []
        for word in words.split(separator: ",", omittingEmptySubsequences: false) {
            guard let mode = NetworkMode(rawValue: String(word)) else { return nil }
            modes.append(mode)
        }
        guard !modes.isEmpty else { return nil }
        self.modes = modes
    }

    /// Why the list cannot be run, in words; nil when it can.
    public var problem: String? {
        if modes.count == 1 || (modes.count == 2 && Set(modes) == [.bridge, .host]) { return nil }
        return "--network takes one of bridge, host or none, or bridge,host for both container variants in one plan"
    }

    /// Both variants in one plan.
    public var pairsHost: Bool { modes.count > 1 }

    /// The `container` environment's own mode: bridge beside container-host, else the one given.
    public var containerMode: NetworkMode { pairsHost ? .bridge : modes.first ?? .bridge }

    /// The plan's environments: `container` followed by `container-host` when both are asked for.
    public func environments(_ kinds: [EnvironmentKind]) -> [EnvironmentKind] {
        guard pairsHost else { return kinds }
        var out: [EnvironmentKind] = []
        for kind in kinds where !out.contains(kind) {
            out.append(kind)
            if kind == .container, !kinds.contains(.containerHost) { out.append(.containerHost) }
        }
        return out
    }
}
