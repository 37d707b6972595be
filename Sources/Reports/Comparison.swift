import Foundation
import IsoprobeCore

/// Environments side by side: per workload and metric, the median over repetitions in
/// each environment and its ratio to the first (native when it ran).
public struct Comparison {
    public struct Metric {
        public var name: String
        public var kind: Kind
        public var value: (RunResult) -> Double?

        public enum Kind { case duration, count, bytes, rate }
    }

    public struct Row {
        public var metric: String
        public var kind: Metric.Kind
        public var medians: [Double?]
        public var ratios: [Double?]
    }

    public var workload: String
    public var environments: [String]
    public var rows: [Row]

    /// The summary's metrics (`MetricDefinition`), in this order, and three figures only
    /// this table shows: tear-down time, total syscall time and, per workload, the mean
    /// latency of its five most frequent syscalls.
    public static let metrics: [Metric] = {
        func defined(_ name: String) -> Metric {
            let d = MetricDefinition.named(name)!
            let kind: Metric.Kind
            switch d.unit {
            case "ns": kind = .duration
            case "bytes": kind = .bytes
            case "ns/op": kind = .rate
            default: kind = .count
            }
            return Metric(name: d.label, kind: kind, value: d.value)
        }
        return [
            defined("wall_ns"), defined("workload_ns_per_op"), defined("cpu_ns"), defined("setup_ns"),
            Metric(name: "environment tear-down", kind: .duration) { Double($0.teardownNs) },
            defined("syscalls"),
            Metric(name: "syscall time", kind: .duration) { $0.syscalls.isEmpty ? nil : Double($0.syscalls.reduce(0) { $0 + $1.totalNs }) },
            defined("syscall_ns_mean"),
            defined("context_switches_voluntary"), defined("context_switches_involuntary"),
            defined("runqueue_latency_ns_mean"), defined("migrations"),
            defined("page_faults_user"), defined("page_faults_kernel"), defined("peak_rss_bytes"),
        ]
    }()

    /// One comparison per workload that ran in more than one environment.
    public static func build(_ runs: [RunResult]) -> [Comparison] {
        var workloads: [String] = []
        for r in runs where !workloads.contains(r.workload.spec) { workloads.append(r.workload.spec) }
        return workloads.compactMap { spec in
            let ofWorkload = runs.filter { $0.workload.spec == spec }
            var envs: [String] = []
            for r in ofWorkload where !envs.contains(r.environment) { envs.append(r.environment) }
            guard envs.count > 1 else { return nil }
            if let i = envs.firstIndex(of: "native"), i != 0 { envs.swapAt(0, i) }
            let groups = envs.map { env in ofWorkload.filter { $0.environment == env } }
            var metrics = Self.metrics
            // The syscalls the workload makes most, by mean latency.
            let top = (groups[0].first?.syscalls ?? []).prefix(5).map(\.name)
            for name in top {
                metrics.append(Metric(name: "\(name) mean latency", kind: .duration) { $0.syscall(name).map(\.meanNs) })
            }
            let rows = metrics.compactMap { metric -> Row? in
                let medians = groups.map { Statistics.median($0.compactMap(metric.value)) }
                guard medians.contains(where: { $0 != nil }) else { return nil }
                let base = medians[0]
                let ratios = medians.map { m -> Double? in
                    guard let m, let base, base > 0 else { return nil }
                    return m / base
                }
                return Row(metric: metric.name, kind: metric.kind, medians: medians, ratios: ratios)
            }
            return Comparison(workload: spec, environments: envs, rows: rows)
        }
    }

    public func render() -> String {
        var headers = ["metric"] + environments.map { "\($0) (median)" }
        headers += environments.dropFirst().map { "\($0)/\(environments[0])" }
        var table = Table(headers)
        table.rightAlignAll = true
        for row in rows {
            var cells = [row.metric]
            cells += row.medians.map { $0.map { Self.format($0, row.kind) } ?? "-" }
            cells += row.ratios.dropFirst().map { $0.map { String(format: "%.2fx", $0) } ?? "-" }
            table.add(cells)
        }
        return "== \(workload): \(environments.joined(separator: " vs "))\n" + table.render()
    }

    static func format(_ v: Double, _ kind: Metric.Kind) -> String {
        switch kind {
        case .duration: return Format.duration(ns: v)
        case .count: return v == v.rounded() ? String(Int64(v)) : String(format: "%.1f", v)
        case .bytes: return Format.bytes(UInt64(max(v, 0)))
        case .rate: return String(format: "%.1f", v)
        }
    }
}
