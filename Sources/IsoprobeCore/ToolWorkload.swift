import Foundation

/// The field's own tools as network workloads: Debian's iperf3 (throughput, its `-J` JSON)
/// and sockperf (ping-pong latency with `--tcp --full-rtt`, or throughput). The client runs in
/// the environment (its library closure in the container's root and the guest's image), the
/// server in isoprobe's peer; their own figures are parsed into the same result line
/// fields the fixtures report (`throughput_bps`, `transactions_per_sec`, `p50_ns`, ...).
///
///   iperf3:seconds=N,direction=tx|rx,size=B      `iperf3 -c PEER -J -t N -l B [-R]`
///   sockperf:mode=ping-pong|throughput,size=B,seconds=N
public enum ToolWorkload: String, CaseIterable, Sendable {
    case iperf3
    case sockperf

    public init?(spec: WorkloadSpec) {
        guard spec.command == nil else { return nil }
        self.init(rawValue: spec.name)
    }

    /// The program's name on PATH (the Debian packages of the same names).
    public var executable: String { rawValue }

    public var port: Int { self == .iperf3 ? 5201 : 11111 }

    /// Parameters with their defaults; a value outside `allowed` (when given) is refused.
    struct Parameter {
        var key: String
        var defaultValue: String
        var range: ClosedRange<Int>?
        var allowed: [String]?
    }

    var parameters: [Parameter] {
        switch self {
        case .iperf3:
            return [.init(key: "seconds", defaultValue: "2", range: 1...3600),
                    .init(key: "direction", defaultValue: "tx", allowed: ["tx", "rx"]),
                    .init(key: "size", defaultValue: "65536", range: 1...1_048_576)]
        case .sockperf:
            return [.init(key: "mode", defaultValue: "ping-pong", allowed: ["ping-pong", "throughput"]),
                    .init(key: "size", defaultValue: "64", range: 14...65000),
                    .init(key: "seconds", defaultValue: "2", range: 1...3600)]
        }
    }

    /// Every parameter's value, defaults filled in; a usage error names a bad one.
    public func values(of spec: WorkloadSpec) throws -> [String: String] {
        let known = parameters.map(\.key)
        var out = Dictionary(uniqueKeysWithValues: parameters.map { ($0.key, $0.defaultValue) })
        for (key, value) in spec.parameters {
            guard let p = parameters.first(where: { $0.key == key }) else {
                throw IsoprobeError(.usage, "workload '\(spec.text)': unknown parameter '\(key)' (known: \(known.joined(separator: ", ")))")
            }
            if let range = p.range, !(Int(value).map(range.contains) ?? false) {
                throw IsoprobeError(.usage, "workload '\(spec.text)': parameter '\(key)' wants an integer from \(range.lowerBound) to \(range.upperBound), got '\(value)'")
            }
            if let allowed = p.allowed, !allowed.contains(value) {
                throw IsoprobeError(.usage, "workload '\(spec.text)': parameter '\(key)' wants \(allowed.joined(separator: " or ")), got '\(value)'")
            }
            out[key] = value
        }
        return out
    }

    /// The client's arguments after the program, aimed at `peer`.
    public func clientArguments(_ spec: WorkloadSpec, peer: String) throws -> [String] {
        let v = try values(of: spec)
        switch self {
        case .iperf3:
            return ["-c", peer, "-p", String(port), "-J", "-t", v["seconds"]!, "-l", v["size"]!]
                + (v["direction"] == "rx" ? ["-R"] : [])
        case .sockperf:
            return [v["mode"]!, "--tcp", "-i", peer, "-p", String(port), "-m", v["size"]!, "-t", v["seconds"]!]
                + (v["mode"] == "ping-pong" ? ["--full-rtt"] : [])
        }
    }

    /// The server's arguments after the program, listening on `peer` only.
    public func serverArguments(peer: String) -> [String] {
        switch self {
        case .iperf3: return ["-s", "-1", "-J", "-B", peer, "-p", String(port)]
        case .sockperf: return ["server", "--tcp", "-i", peer, "-p", String(port)]
        }
    }

    /// The client's figures as a result line: iperf3's receiver throughput, sockperf's
    /// message count, rate and round-trip percentiles (or its bandwidth). nil when the
    /// output holds none (the tool failed).
    public func report(output: String) -> WorkloadReport? {
        switch self {
        case .iperf3: return Self.iperf3Report(output)
        case .sockperf: return Self.sockperfReport(output)
        }
    }

    /// The server's own account, where the tool gives one (iperf3's server JSON).
    public func serverFigures(output: String) -> PeerServerFigures? {
        guard self == .iperf3, let end = Self.jsonEnd(output) else { return nil }
        let received = end["sum_received"] as? [String: Any], sent = end["sum_sent"] as? [String: Any]
        let seconds = (received?["seconds"] as? Double) ?? 0
        let cpu = ((end["cpu_utilization_percent"] as? [String: Any])?["host_total"] as? Double) ?? 0
        return PeerServerFigures(connections: 1, transactions: 0, datagrams: 0,
                                 bytesIn: UInt64((received?["bytes"] as? Double) ?? 0),
                                 bytesOut: UInt64((sent?["bytes"] as? Double) ?? 0),
                                 busyNs: UInt64(seconds * 1e9), cpuNs: UInt64(cpu / 100 * seconds * 1e9))
    }

    /// The `end` object of iperf3's JSON (bounded: the document is a few tens of KiB).
    static func jsonEnd(_ output: String) -> [String: Any]? {
        guard output.utf8.count < 4 << 20, let start = output.firstIndex(of: "{"),
              let object = try? JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any]
        else { return nil }
        return object["end"] as? [String: Any]
    }

    static func iperf3Report(_ output: String) -> WorkloadReport? {
        guard let end = jsonEnd(output), let received = end["sum_received"] as? [String: Any],
              let bytes = received["bytes"] as? Double, let seconds = received["seconds"] as? Double, seconds > 0,
              let bps = received["bits_per_second"] as? Double else { return nil }
        let retransmits = ((end["sum_sent"] as? [String: Any])?["retransmits"] as? Double).map { String(Int($0)) }
        var extra = ["name": "iperf3", "bytes": String(Int(bytes)), "throughput_bps": String(format: "%.0f", bps)]
        extra["retransmits"] = retransmits
        let elapsed = UInt64(seconds * 1e9)
        return WorkloadReport(ops: UInt64(bytes), elapsedNs: elapsed, nsPerOp: Double(elapsed) / max(bytes, 1), extra: extra)
    }

    /// sockperf's text: `[Valid Duration] RunTime=0.550 sec; SentMessages=N; ReceivedMessages=N`,
    /// `percentile 50.000 = 6.424` (microseconds), `Summary: BandWidth is X MBps (Y Mbps)`.
    static func sockperfReport(_ output: String) -> WorkloadReport? {
        // Its highlighted lines carry terminal colour codes.
        let text = output.replacingOccurrences(of: "\u{1B}[2;35m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "")
        guard let valid = text.split(separator: "\n").first(where: { $0.contains("[Valid Duration]") }),
              let runTime = number(after: "RunTime=", in: valid), runTime > 0 else { return nil }
        let received = number(after: "ReceivedMessages=", in: valid) ?? number(after: "SentMessages=", in: valid) ?? 0
        let elapsed = UInt64(runTime * 1e9)
        var extra = ["name": "sockperf", "messages_per_sec": String(format: "%.1f", received / runTime)]
        for (key, percentile) in [("p50_ns", "percentile 50.000 ="), ("p99_ns", "percentile 99.000 ="),
                                  ("p999_ns", "percentile 99.900 =")] {
            if let us = text.split(separator: "\n").lazy.compactMap({ number(after: percentile, in: $0) }).first {
                extra[key] = String(format: "%.0f", us * 1000)
            }
        }
        if extra["p50_ns"] != nil { extra["transactions_per_sec"] = extra["messages_per_sec"] }
        if let line = text.split(separator: "\n").first(where: { $0.contains("BandWidth is") }),
           let open = line.range(of: "("), let mbps = number(after: "(", in: line[open.lowerBound...]) {
            extra["throughput_bps"] = String(format: "%.0f", mbps * 1e6)
        }
        return WorkloadReport(ops: UInt64(received), elapsedNs: elapsed,
                              nsPerOp: received > 0 ? Double(elapsed) / received : 0, extra: extra)
    }

    /// The number right after `marker` (spaces skipped).
    static func number(after marker: String, in line: Substring) -> Double? {
        guard let r = line.range(of: marker) else { return nil }
        let rest = line[r.upperBound...].drop { $0 == " " }
        return Double(rest.prefix { $0.isNumber || $0 == "." })
    }
}
