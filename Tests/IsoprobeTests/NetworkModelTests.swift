import Foundation
import IsoprobeCore
import Reports
import Testing

/// The network workloads' model: which specs need the peer, which peers are allowed, the
/// server's line, and the verdict for a rate (higher is faster).
@Suite struct NetworkModelTests {
    @Test func networkWorkloadsAreKnownByName() throws {
        #expect(NetworkWorkload(spec: try WorkloadSpec.parse("tcp-rr:count=5")) == .tcpRR)
        #expect(NetworkWorkload(spec: try WorkloadSpec.parse("getpid")) == nil)
        #expect(NetworkWorkload(spec: .command(["tcp-rr"])) == nil, "a command is never a network fixture")
        #expect(NetworkWorkload.tcpStream.primaryMetric == "net_throughput_bps")
        #expect(NetworkWorkload.udpRR.primaryMetric == "net_transactions_per_sec")
    }

    @Test func onlyTheBenchmarkRangeAndLoopbackArePeers() throws {
        for ok in ["tcp-rr:host=198.18.3.1", "tcp-rr:host=198.19.255.1", "udp-rr:host=127.0.0.1", "tcp-rr"] {
            #expect(throws: Never.self) { try NetworkWorkload.checkPeer(of: try WorkloadSpec.parse(ok)) }
        }
        for bad in ["tcp-rr:host=8.8.8.8", "tcp-stream:host=198.20.0.1", "tcp-crr:host=example.org", "udp-rr:host=10.0.0.1"] {
            #expect(throws: IsoprobeError.self, "\(bad)") { try NetworkWorkload.checkPeer(of: try WorkloadSpec.parse(bad)) }
        }
    }

    @Test func theServersLineParses() {
        let line = "isoprobe-peer connections=3 transactions=1200 datagrams=0 bytes_in=1224 bytes_out=1200 busy_ns=5 cpu_ns=7"
        let f = PeerServerFigures.parse(line: Substring(line))
        #expect(f == PeerServerFigures(connections: 3, transactions: 1200, datagrams: 0, bytesIn: 1224, bytesOut: 1200,
                                       busyNs: 5, cpuNs: 7))
        #expect(PeerServerFigures.parse(line: "isoprobe-peer listening port=7000") == nil)
        #expect(PeerServerFigures.parse(line: "isoprobe-peer connections=x transactions=1") == nil)
    }

    /// Above native is faster for transactions per second, slower for a time.
    @Test func aRateAboveNativeIsFaster() {
        let up = RatioSummary(ratio: 1.5, ciLow: 1.4, ciHigh: 1.6, pValue: 0.001, significant: true)
        #expect(AnswerTable.Verdict.of(up, threshold: 0.05, lowerIsBetter: false) == .faster)
        #expect(AnswerTable.Verdict.of(up, threshold: 0.05) == .slower)
        #expect(MetricDefinition.named("net_transactions_per_sec")?.lowerIsBetter == false)
        #expect(MetricDefinition.named("net_latency_p99_ns")?.gating == false)
        #expect(MetricDefinition.primary(among: ["wall_ns", "workload_ns_per_op", "net_transactions_per_sec"]) == "net_transactions_per_sec")
    }

    /// `--network`: one mode, or bridge,host for both container variants in one plan.
    @Test func networkModesPairTheContainerWithContainerHost() throws {
        let both = try #require(NetworkModes(words: "bridge,host"))
        #expect(both.problem == nil && both.pairsHost && both.containerMode == .bridge)
        #expect(both.environments([.native, .container, .vm]) == [.native, .container, .containerHost, .vm])
        #expect(both.environments([.native, .vm]) == [.native, .vm], "no container, nothing to pair")
        #expect(both.environments([.container, .containerHost]) == [.container, .containerHost])
        let host = try #require(NetworkModes(words: "host"))
        #expect(host.problem == nil && !host.pairsHost && host.containerMode == .host)
        #expect(host.environments([.native, .container]) == [.native, .container])
        for bad in ["bridge,none", "host,host", "bridge,host,none"] {
            #expect(NetworkModes(words: bad)?.problem != nil, "\(bad)")
        }
        #expect(NetworkModes(words: "bridge,vlan") == nil && NetworkModes(words: "") == nil)
        #expect(EnvironmentKind(rawValue: "container-host") == .containerHost && EnvironmentKind.containerHost.isContainer)
        #expect("\(EnvironmentKind.containerHost)" == "container-host")
    }

    /// The report's table of container-host against the bridged container: the primary
    /// metric and, for request/response, the p50 latency, each with its interval.
    @Test func theHostNetworkTableShowsLatencyAndThroughputWithIntervals() throws {
        func metric(_ env: String, _ workload: String, _ name: String, _ median: Double, vsContainer: RatioSummary? = nil) -> MetricSummary {
            var m = MetricSummary(workload: workload, environment: env, metric: name, unit: "ns", n: 9, values: [], median: median,
                                  q1: median, q3: median, ciLow: median, ciHigh: median)
            m.vsContainer = vsContainer
            return m
        }
        let lower = RatioSummary(ratio: 0.8, ciLow: 0.75, ciHigh: 0.85, pValue: 0.004, significant: true, method: .paired, n: 9)
        let same = RatioSummary(ratio: 1.01, ciLow: 0.98, ciHigh: 1.03, pValue: 0.5, significant: false, method: .paired, n: 9)
        let summary = SummaryReport(method: SummaryMethod(repetitions: 9, warmups: 0, order: "", test: SummaryMethod.pairedTest), metrics: [
            metric("container", "tcp-rr", "net_transactions_per_sec", 20000), metric("container", "tcp-rr", "net_latency_p50_ns", 50000),
            metric("container-host", "tcp-rr", "net_transactions_per_sec", 25000, vsContainer: RatioSummary(ratio: 1.25, ciLow: 1.2, ciHigh: 1.3, pValue: 0.004, significant: true, method: .paired, n: 9)),
            metric("container-host", "tcp-rr", "net_latency_p50_ns", 40000, vsContainer: lower),
            metric("container", "tcp-stream", "net_throughput_bps", 1e10),
            metric("container-host", "tcp-stream", "net_throughput_bps", 1.01e10, vsContainer: same),
        ])
        let rows = HostNetworkTable.rows(summary)
        #expect(rows.map(\.figures.metric) == ["net_transactions_per_sec", "net_latency_p50_ns", "net_throughput_bps"])
        #expect(rows.map(\.verdict) == [.faster, .faster, .within])
        let text = HostNetworkTable.text(summary)
        #expect(text.contains("0.80x [0.75, 0.85]") && text.contains("1.01x [0.98, 1.03]"), "\(text)")
        #expect(text.contains("against the bridged container"))
    }
}
