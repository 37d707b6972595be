import Foundation
import IsoprobeCore

/// What every report answers first: per workload and environment beside native, the ratio
/// of the workload's primary metric (`MetricDefinition.primary`) to native's, its interval
/// and a verdict; then the findings, every significant difference, largest first.
public enum AnswerTable {
    public enum Verdict: Equatable, Sendable {
        /// Significant by the rule, this environment above native.
        case slower
        /// Significant by the rule, this environment below native.
        case faster
        /// The whole interval inside 1 ± the threshold: whatever the difference, it is smaller.
        case within
        /// Neither: the interval is too wide to tell.
        case unresolved

        /// Above native is slower for a time (ns per op, wall time), faster for a rate
        /// (transactions per second, throughput, IOPS).
        public static func of(_ r: RatioSummary, threshold: Double, lowerIsBetter: Bool = true) -> Verdict {
            if r.significant { return (r.ratio > 1) == lowerIsBetter ? .slower : .faster }
            // One run a side has no interval to be within.
            if (r.n ?? 2) >= 2, r.ciLow >= 1 - threshold, r.ciHigh <= 1 + threshold { return .within }
            return .unresolved
        }

        public func words(threshold: Double) -> String {
            switch self {
            case .slower: return "slower"
            case .faster: return "faster"
            case .within: return "within " + AnswerTable.band(threshold)
            case .unresolved: return "unresolved"
            }
        }
    }

    /// One workload in one environment beside native.
    public struct Row: Sendable {
        /// This environment's figures of the workload's primary metric ...
        public var figures: MetricSummary
        /// ... and native's; nil when native did not run it.
        public var native: MetricSummary?
        public var verdict: Verdict?

        public var workload: String { figures.workload }
        public var environment: String { figures.environment }
        public var metric: String { figures.metric }
    }

    /// In the summary's order: workloads as first seen, then their environments.
    public static func rows(_ summary: SummaryReport) -> [Row] {
        let baseline = EnvironmentKind.native.rawValue
        return summary.metrics.map(\.workload).uniqued().flatMap { workload -> [Row] in
            let ofWorkload = summary.metrics.filter { $0.workload == workload }
            guard let metric = MetricDefinition.primary(among: ofWorkload.map(\.metric)) else { return [] }
            let native = ofWorkload.first { $0.environment == baseline && $0.metric == metric }
            let lowerIsBetter = MetricDefinition.named(metric)?.lowerIsBetter ?? true
            return ofWorkload.filter { $0.metric == metric && $0.environment != baseline }.map { m in
                Row(figures: m, native: native, verdict: m.vsNative.map {
                    Verdict.of($0, threshold: summary.method.threshold, lowerIsBetter: lowerIsBetter)
                })
            }
        }
    }

    /// Every significant ratio to native of a gating metric (scheduler placement and set-up
    /// swing with the machine's other work; they are not findings), largest first: by how far
    /// from 1, either way, so 0.5x ranks with 2x.
    public static func findings(_ summary: SummaryReport) -> [MetricSummary] {
        let found = summary.metrics.filter { m in
            guard let r = m.vsNative, r.significant, r.ratio > 0, let d = MetricDefinition.named(m.metric) else { return false }
            return d.gating && !d.absolute
        }
        return found.enumerated().sorted { a, b in
            let (x, y) = (abs(log(a.element.vsNative!.ratio)), abs(log(b.element.vsNative!.ratio)))
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
    }

    // MARK: cells every format lays out its own way

    public static let headers = ["workload", "environment", "metric", "vs native [95% CI]", "verdict", "precision",
                                 "native → this"]

    public static func cells(_ row: Row, method: SummaryMethod) -> [String] {
        [row.workload, row.environment, SummaryTable.label(row.metric), row.figures.vsNative.map(SummaryTable.interval) ?? "-",
         row.verdict?.words(threshold: method.threshold) ?? (row.native == nil ? "no native run" : "-"),
         SummaryTable.precision(row.figures.vsNative, metric: row.metric, target: method.precisionTarget),
         figures(row.native, row.figures)]
    }

    public static let findingHeaders = ["workload", "environment", "metric", "vs native [95% CI]", "p", "native → this"]

    public static func findingCells(_ m: MetricSummary, in summary: SummaryReport) -> [String] {
        let native = summary.metrics.first {
            $0.workload == m.workload && $0.metric == m.metric && $0.environment == EnvironmentKind.native.rawValue
        }
        return [m.workload, m.environment, SummaryTable.label(m.metric), m.vsNative.map(SummaryTable.interval) ?? "-",
                m.vsNative.map { String(format: "%.4f", $0.pValue) } ?? "-", figures(native, m)]
    }

    /// "706.20 ns/op → 474.75 ns/op": the medians.
    static func figures(_ native: MetricSummary?, _ this: MetricSummary) -> String {
        (native.map { SummaryTable.value($0.median, unit: $0.unit) } ?? "-") + " → " + SummaryTable.value(this.median, unit: this.unit)
    }

    /// What the verdicts mean, in one sentence.
    public static func legend(_ method: SummaryMethod) -> String {
        "slower, faster: p < \(method.alpha) and the whole interval beyond \(band(method.threshold)); "
            + "within \(band(method.threshold)): the whole interval inside; "
            + "unresolved: neither (more rounds would tell: --reps, --precision)"
    }

    static func band(_ threshold: Double) -> String { "±" + String(format: "%g%%", threshold * 100) }

    /// Whose ratios these are, for the heading.
    static func basis(_ method: SummaryMethod) -> String {
        method.test == SummaryMethod.pairedTest ? "\(method.repetitions) paired rounds" : "\(method.repetitions) repetitions, unpaired"
    }

    // MARK: text

    /// The answer table, its legend, then the findings (at most `findingsShown`); empty
    /// when nothing ran beside native.
    public static func text(_ summary: SummaryReport, colour: Bool = false, findingsShown: Int? = nil) -> String {
        let rows = rows(summary)
        guard !rows.isEmpty else { return "" }
        let method = summary.method
        var table = Table(headers)
        for row in rows {
            var cells = cells(row, method: method)
            if colour, let v = row.verdict, v == .slower || v == .faster {
                cells[4] = (v == .slower ? red : green) + cells[4] + reset
            }
            table.add(cells)
        }
        var out = bold("ratio to native of each workload's primary metric (\(basis(method))):", colour) + "\n"
            + table.render() + "  " + legend(method) + "\n"
        let found = findings(summary)
        out += "\n"
        guard !found.isEmpty else {
            return out + bold("findings:", colour) + " no significant difference (p < \(method.alpha) and beyond "
                + "\(band(method.threshold))) in any gating metric\n"
        }
        out += bold("findings: significant differences, largest first", colour) + "\n"
        var findingsTable = Table(findingHeaders)
        let shown = findingsShown.map { Array(found.prefix($0)) } ?? found
        for m in shown { findingsTable.add(findingCells(m, in: summary)) }
        out += findingsTable.render()
        if shown.count < found.count {
            out += "  ... and \(found.count - shown.count) more (--detail, or the Markdown, HTML and JSON)\n"
        }
        return out
    }

    static let red = "\u{1B}[31m", green = "\u{1B}[32m", reset = "\u{1B}[0m"

    static func bold(_ s: String, _ colour: Bool) -> String { colour ? "\u{1B}[1m" + s + reset : s }
}
