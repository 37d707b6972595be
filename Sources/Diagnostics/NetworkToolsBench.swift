import Environments
import Foundation
import Harness
import Host
import IsoprobeCore

/// Do isoprobe's own network workloads agree with the field's tools on the same path?
/// iperf3's throughput against tcp-stream's (both sending 64 KiB writes), and sockperf's
/// round-trip p50 (`ping-pong --tcp --full-rtt`) against tcp-rr's, at the same message size:
/// every round runs all four in every environment, one after the other, so each round gives
/// one paired ratio per environment; the medians of the rounds' ratios are the answer. No
/// probes: only the workloads are compared.
public final class NetworkToolsBench {
    public struct Pair: Sendable {
        public var environment: String
        /// iperf3 / tcp-stream, per round.
        public var throughput: [Double] = []
        /// sockperf p50 / tcp-rr p50, per round.
        public var latency: [Double] = []
        /// The figures themselves, per round: (tcp-stream, iperf3) bit/s and (tcp-rr, sockperf) p50 ns.
        public var streams: [(Double, Double)] = []
        public var p50s: [(Double, Double)] = []
    }

    public struct Result: Sendable {
        public var seconds: Int
        public var size: Int
        public var pairs: [Pair]

        public func render() -> String {
            var out = "isoprobe's workloads against the field's tools on the same path, \(pairs.first?.throughput.count ?? 0) interleaved rounds of \(seconds) s each:\n"
            out += "  environment  comparison                        median ratio  [min, max]      medians\n"
            for p in pairs {
                func line(_ what: String, _ ratios: [Double], _ figures: [(Double, Double)], _ unit: (Double) -> String) -> String {
                    let m = Statistics.median(ratios) ?? 0
                    let a = Statistics.median(figures.map(\.0)) ?? 0, b = Statistics.median(figures.map(\.1)) ?? 0
                    return "  " + p.environment.padding(toLength: 11, withPad: " ", startingAt: 0) + "  "
                        + what.padding(toLength: 32, withPad: " ", startingAt: 0)
                        + String(format: "  %.3fx        [%.3f, %.3f]  ", m, ratios.min() ?? 0, ratios.max() ?? 0)
                        + "\(unit(a)) → \(unit(b))\n"
                }
                out += line("iperf3 / tcp-stream throughput", p.throughput, p.streams) { String(format: "%.2f Gbit/s", $0 / 1e9) }
                out += line("sockperf / tcp-rr p50 (\(size) B)", p.latency, p.p50s) { String(format: "%.1f us", $0 / 1e3) }
            }
            return out
        }
    }

    let resources: Resources

    public init(resources: Resources) {
        self.resources = resources
    }

    public func run(rounds: Int, seconds: Int, size: Int, environments: [EnvironmentKind],
                    progress: (String) -> Void) throws -> Result {
        let ms = String(seconds * 1000)
        let stream = WorkloadSpec(name: "tcp-stream", parameters: [("direction", "tx"), ("size", "65536"), ("duration_ms", ms)])
        let iperf = WorkloadSpec(name: "iperf3", parameters: [("seconds", String(seconds)), ("size", "65536")])
        let rr = WorkloadSpec(name: "tcp-rr", parameters: [("size", String(size)), ("duration_ms", ms)])
        let sockperf = WorkloadSpec(name: "sockperf", parameters: [("size", String(size)), ("seconds", String(seconds))])
        var request = RunRequest(environments: environments, workloads: [stream, iperf, rr, sockperf], repetitions: rounds,
                                 probeFamilies: [])
        request.continueOnFailure = false
        let runner = try Runner(resources: resources)
        let results = try runner.run(request) { event in
            if case .finished(let planned, let r, let index, let total) = event {
                progress("[\(index)/\(total)] \(planned.environment.rawValue) \(planned.spec.text) round \(planned.repetition): \(r.exit.description)")
            }
        }
        guard results.allSatisfy(\.exit.succeeded) else {
            let failed = results.first { !$0.exit.succeeded }!
            throw IsoprobeError(.failed, "\(failed.workload.spec) in \(failed.environment) \(failed.exit.description)")
        }
        var pairs: [Pair] = []
        for env in environments.map(\.rawValue) {
            var pair = Pair(environment: env)
            for round in 1...rounds {
                func figure(_ spec: WorkloadSpec, _ key: String) -> Double? {
                    results.first { $0.environment == env && $0.repetition == round && $0.workload.spec == spec.text }?
                        .workloadFigure(key)
                }
                if let a = figure(stream, "throughput_bps"), let b = figure(iperf, "throughput_bps"), a > 0 {
                    pair.throughput.append(b / a)
                    pair.streams.append((a, b))
                }
                if let a = figure(rr, "p50_ns"), let b = figure(sockperf, "p50_ns"), a > 0 {
                    pair.latency.append(b / a)
                    pair.p50s.append((a, b))
                }
            }
            pairs.append(pair)
        }
        return Result(seconds: seconds, size: size, pairs: pairs)
    }
}
