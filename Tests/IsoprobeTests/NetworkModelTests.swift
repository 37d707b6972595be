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
}
