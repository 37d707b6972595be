import Foundation
import IsoprobeCore

/// The overhead table that follows every report's answer (`AnswerTable`): per workload and
/// environment, the median of the key metrics and its ratio to native with the bootstrap
/// interval; `*` marks a ratio that passes the significance rule (p < alpha and beyond the
/// threshold).
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
        // A cost against native.
        case "x": return String(format: "%.3fx", v)
        case "1/s": return String(format: "%.0f/s", v)
        case "bit/s": return v >= 1e9 ? String(format: "%.2f Gbit/s", v / 1e9) : String(format: "%.1f Mbit/s", v / 1e6)
        case "IO/s": return String(format: "%.0f IOPS", v)
        case "MB/s": return String(format: "%.1f MB/s", v)
        case "GB/s": return String(format: "%.2f GB/s", v)
        default: return v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.1f", v)
        }
    }

    public static func ratio(_ r: RatioSummary?) -> String {
        guard let r else { return "-" }
        return interval(r) + (r.significant ? " *" : "")
    }

    /// "1.18x [1.10, 1.25]".
    public static func interval(_ r: RatioSummary) -> String {
        String(format: "%.2fx [%.2f, %.2f]", r.ratio, r.ciLow, r.ciHigh)
    }

    public static func method(_ m: SummaryMethod) -> String {
        let paired = m.test == SummaryMethod.pairedTest
        var out = "\(m.repetitions) \(paired ? "rounds" : "repetitions") after \(m.warmups) warm-up\(m.warmups == 1 ? "" : "s") (\(m.order)); "
        if let target = m.precisionTarget {
            out += "rounds added until each ratio was within ±\(percent(target))"
                + (m.stoppedBy.map { " (stopped: \(stopWords($0)))" } ?? "") + "; "
        }
        out += paired
            ? "ratios to native from the rounds' pairs: geometric mean with a \(Int(m.confidence * 100))% bootstrap interval over rounds (\(m.bootstrapResamples) resamples); "
                + "* = significant: sign-flip test p < \(m.alpha) and the whole interval more than \(Int(m.threshold * 100))% from 1; "
                + "± = precision reached (half the interval); detectable = the smallest change this n and spread could call significant"
            : "medians with \(Int(m.confidence * 100))% bootstrap intervals (\(m.bootstrapResamples) resamples); "
                + "* = significant: Mann-Whitney U p < \(m.alpha) and the ratio's whole interval more than \(Int(m.threshold * 100))% from 1"
        return out
    }

    static func stopWords(_ reason: SummaryMethod.StopReason) -> String {
        switch reason {
        case .repetitions: return "at the rounds asked for"
        case .precision: return "target met"
        case .maxTime: return "at --max-time, short of the target"
        case .maxReps: return "at --max-reps, short of the target"
        case .interrupted: return "interrupted"
        }
    }

    public static func percent(_ fraction: Double) -> String {
        fraction < 0.1 ? String(format: "%.1f%%", fraction * 100) : String(format: "%.0f%%", fraction * 100)
    }

    /// "±1.2% (n=8)", with "short" when a judged metric missed the precision target.
    public static func precision(_ r: RatioSummary?, metric: String, target: Double? = nil) -> String {
        guard let r, let p = r.precision else { return "-" }
        let short = MetricDefinition.judgedByPrecision.contains(metric) && target.map { p > $0 } == true ? " short" : ""
        return "±" + percent(p) + (r.n.map { " (n=\($0))" } ?? "") + short
    }

    /// The smallest detectable change: "6.5%", or "none at this n".
    public static func detectable(_ r: RatioSummary?) -> String {
        guard let r, r.method != nil else { return "-" }
        return r.minimumDetectable.map(percent) ?? "none at n=\(r.n ?? 0)"
    }

    public static func text(_ summary: SummaryReport, colour: Bool = false) -> String {
        var table = Table(["workload", "environment", "metric", "median", "IQR", "vs native [95% CI]", "±", "detectable"])
        for m in rows(summary) {
            var r = ratio(m.vsNative)
            if colour, let v = m.vsNative, v.significant { r = (v.ratio > 1 ? "\u{1B}[31m" : "\u{1B}[32m") + r + "\u{1B}[0m" }
            table.add([m.workload, m.environment, label(m.metric), value(m.median, unit: m.unit),
                       value(m.iqr, unit: m.unit), r, precision(m.vsNative, metric: m.metric, target: summary.method.precisionTarget),
                       detectable(m.vsNative)])
        }
        return "summary: " + method(summary.method) + "\n" + table.render()
    }

    /// A metric's words in a summary (its registry entry's; the name for one not registered).
    public static func label(_ metric: String) -> String {
        MetricDefinition.named(metric).map { $0.summaryLabel ?? $0.label } ?? metric
    }
}
