import Foundation
import IsoprobeCore

/// The overhead table every report leads with: per workload and environment, the median of
/// the key metrics and its ratio to native with the bootstrap interval; `*` marks a ratio
/// that passes the significance rule (p < alpha and beyond the threshold).
public enum SummaryTable {
    /// The metrics shown in summaries, in registry order; the JSON carries all of them.
    public static var keyMetrics: [String] { MetricDefinition.shown(in: .summary).map(\.name) }

    public static func rows(_ summary: SummaryReport, metrics: [String] = keyMetrics) -> [MetricSummary] {
        summary.metrics.filter { metrics.contains($0.metric) }
    }

    public static func value(_ v: Double, unit: String) -> String {
        switch unit {
        case "ns": return Format.duration(ns: v)
        case "bytes": return Format.bytes(UInt64(max(v, 0)))
        case "ns/op": return String(format: "%.2f ns/op", v)
        default: return v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.1f", v)
        }
    }

    public static func ratio(_ r: RatioSummary?) -> String {
        guard let r else { return "-" }
        return String(format: "%.2fx [%.2f, %.2f]", r.ratio, r.ciLow, r.ciHigh) + (r.significant ? " *" : "")
    }

    public static func method(_ m: SummaryMethod) -> String {
        "\(m.repetitions) repetitions after \(m.warmups) warm-up\(m.warmups == 1 ? "" : "s") (\(m.order)); "
            + "medians with \(Int(m.confidence * 100))% bootstrap intervals (\(m.bootstrapResamples) resamples); "
            + "* = significant: Mann-Whitney U p < \(m.alpha) and the ratio's whole interval more than \(Int(m.threshold * 100))% from 1"
    }

    public static func text(_ summary: SummaryReport, colour: Bool = false) -> String {
        var table = Table(["workload", "environment", "metric", "median", "IQR", "vs native [95% CI]"])
        for m in rows(summary) {
            var r = ratio(m.vsNative)
            if colour, let v = m.vsNative, v.significant { r = (v.ratio > 1 ? "\u{1B}[31m" : "\u{1B}[32m") + r + "\u{1B}[0m" }
            table.add([m.workload, m.environment, label(m.metric), value(m.median, unit: m.unit),
                       value(m.iqr, unit: m.unit), r])
        }
        return "summary: " + method(summary.method) + "\n" + table.render()
    }

    /// A metric's words in a summary (its registry entry's; the name for one not registered).
    public static func label(_ metric: String) -> String {
        MetricDefinition.named(metric).map { $0.summaryLabel ?? $0.label } ?? metric
    }
}
