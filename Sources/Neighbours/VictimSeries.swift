import Foundation
import IsoprobeCore

/// The victim's measured runs: medians of its own wall and CPU time and cost per operation.
public struct VictimSeries: Codable, Sendable, Equatable {
    public var wallNs: [UInt64]
    public var cpuNs: [UInt64]
    public var nsPerOp: [Double]
    /// The workload's own timing of its measured loop (elapsed_ns): free of start-up and
    /// of the probes' view, a cross-check of the wall times.
    public var elapsedNs: [UInt64]
    public var medianWallNs: UInt64
    public var medianElapsedNs: UInt64?
    public var medianCpuNs: UInt64
    public var medianNsPerOp: Double?
    /// Every run exited 0.
    public var completed: Bool
    public var exits: [String]
    /// A network victim's own figures, per run, by the metric registry's names (tcp-rr:
    /// `net_latency_p50_ns`, `net_latency_p99_ns`, `net_transactions_per_sec`; tcp-stream:
    /// `net_throughput_bps`); nil for any other victim.
    public var network: [String: [Double]]?

    /// The metrics a network victim is followed by.
    public static let networkMetrics = ["net_latency_p50_ns", "net_latency_p99_ns", "net_transactions_per_sec", "net_throughput_bps"]

    public init(_ runs: [RunResult]) {
        wallNs = runs.map(\.wallNs)
        cpuNs = runs.map { $0.cpuUserNs + $0.cpuSystemNs }
        nsPerOp = runs.compactMap { $0.workloadReport?.nsPerOp }
        elapsedNs = runs.compactMap { $0.workloadReport?.elapsedNs }
        medianElapsedNs = Statistics.median(elapsedNs.map { Double($0) }).map { UInt64($0) }
        medianWallNs = Statistics.median(wallNs.map { Double($0) }).map { UInt64($0) } ?? 0
        medianCpuNs = Statistics.median(cpuNs.map { Double($0) }).map { UInt64($0) } ?? 0
        medianNsPerOp = Statistics.median(nsPerOp)
        completed = !runs.isEmpty && runs.allSatisfy(\.exit.succeeded)
        exits = runs.map(\.exit.description)
        if runs.contains(where: { $0.network != nil }) {
            var figures: [String: [Double]] = [:]
            for name in Self.networkMetrics {
                guard let metric = MetricDefinition.named(name) else { continue }
                let values = runs.compactMap(metric.value)
                if !values.isEmpty { figures[name] = values }
            }
            network = figures
        }
    }
}
