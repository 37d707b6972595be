import Foundation
import IsoprobeCore

/// Environments side by side: per workload and metric, the median over repetitions in
/// each environment and its ratio to the first (native when it ran); for set-up and
/// tear-down, the difference in time instead (`MetricDefinition.absolute`).
public struct Comparison {
    public struct Metric {
        public var name: String
        public var kind: Kind
        /// Compared by difference, not ratio.
        public var absolute = false
        public var value: (RunResult) -> Double?

        public enum Kind { case duration, count, bytes, rate }
    }

    public struct Row {
        public var metric: String
        public var kind: Metric.Kind
        public var medians: [Double?]
        /// To the first environment; nil for an absolute metric, which shows `differences`.
        public var ratios: [Double?]
        public var absolute = false
        /// This environment's median minus the first's.
        public var differences: [Double?] {
            medians.map { m in m.flatMap { m in medians[0].map { m - $0 } } }
        }
    }

    public var workload: String
    public var environments: [String]
    public var rows: [Row]

    /// The registry's side-by-side metrics (`MetricDefinition`), in its order; per workload,
    /// the mean latency of its five most frequent syscalls follows.
    public static let metrics: [Metric] = MetricDefinition.shown(in: .sideBySide).map { d in
        let kind: Metric.Kind
        switch d.unit {
        case "ns": kind = .duration
        case "bytes": kind = .bytes
        case "ns/op": kind = .rate
        default: kind = .count
        }
        return Metric(name: d.label, kind: kind, absolute: d.absolute, value: d.value)
    }

    /// One comparison per workload that ran in more than one environment.
    public static func build(_ runs: [RunResult]) -> [Comparison] {
        // Every run counts here, failed ones too: the table shows what happened.
        let all = RunGroup.groups(runs, succeededOnly: false)
        return all.map(\.workload).uniqued().compactMap { spec in
            var ofWorkload = all.filter { $0.workload == spec }
            guard ofWorkload.count > 1 else { return nil }
            // Native first: the ratios are to it.
            if let i = ofWorkload.firstIndex(where: { $0.environment == EnvironmentKind.native.rawValue }), i != 0 {
                ofWorkload.swapAt(0, i)
            }
            let envs = ofWorkload.map(\.environment)
            let groups = ofWorkload.map(\.runs)
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
                    guard !metric.absolute, let m, let base, base > 0 else { return nil }
                    return m / base
                }
                return Row(metric: metric.name, kind: metric.kind, medians: medians, ratios: ratios, absolute: metric.absolute)
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
            cells += row.absolute
                ? row.differences.dropFirst().map { $0.map { ($0 < 0 ? "-" : "+") + Self.format(abs($0), row.kind) } ?? "-" }
                : row.ratios.dropFirst().map { $0.map { String(format: "%.2fx", $0) } ?? "-" }
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
