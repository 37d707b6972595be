import Foundation
import IsoprobeCore

/// The container in the host's namespace (`container-host`) against the bridged container
/// (`container`) of the same plan (`--network bridge,host`): per workload, its primary metric
/// and, for request/response, its median latency, each the paired rounds' ratio with its
/// interval and a verdict, as the answer table judges ratios to native.
public enum HostNetworkTable {
    public struct Row: Sendable {
        public var figures: MetricSummary
        public var bridged: MetricSummary?
        public var ratio: RatioSummary
        public var verdict: AnswerTable.Verdict
    }

    /// The figures a row is given for, by preference: the workload's primary metric, then
    /// its latency (what the host's namespace is said to save a network service).
    static func metrics(among names: [String]) -> [String] {
        let primary = MetricDefinition.primary(among: names).map { [$0] } ?? []
        return primary + (names.contains("net_latency_p50_ns") && !primary.contains("net_latency_p50_ns") ? ["net_latency_p50_ns"] : [])
    }

    public static func rows(_ summary: SummaryReport) -> [Row] {
        let host = EnvironmentKind.containerHost.rawValue, bridge = EnvironmentKind.container.rawValue
        return summary.metrics.map(\.workload).uniqued().flatMap { workload -> [Row] in
            let ofWorkload = summary.metrics.filter { $0.workload == workload }
            return metrics(among: ofWorkload.map(\.metric)).compactMap { metric -> Row? in
                guard let m = ofWorkload.first(where: { $0.environment == host && $0.metric == metric }),
                      let r = m.vsContainer else { return nil }
                let lowerIsBetter = MetricDefinition.named(metric)?.lowerIsBetter ?? true
                return Row(figures: m, bridged: ofWorkload.first { $0.environment == bridge && $0.metric == metric },
                           ratio: r, verdict: .of(r, threshold: summary.method.threshold, lowerIsBetter: lowerIsBetter))
            }
        }
    }

    public static let headers = ["workload", "metric", "container-host / container [95% CI]", "verdict", "precision",
                                 "container → container-host"]

    public static func cells(_ row: Row, method: SummaryMethod) -> [String] {
        [row.figures.workload, SummaryTable.label(row.figures.metric), SummaryTable.interval(row.ratio),
         row.verdict.words(threshold: method.threshold),
         SummaryTable.precision(row.ratio, metric: row.figures.metric, target: method.precisionTarget),
         AnswerTable.figures(row.bridged, row.figures)]
    }

    /// "slower" and "faster" are the host's namespace's against the bridge.
    public static let heading = "container in the host's namespace against the bridged container (--network bridge,host)"

    public static func text(_ summary: SummaryReport) -> String {
        let rows = rows(summary)
        guard !rows.isEmpty else { return "" }
        var table = Table(headers)
        for row in rows { table.add(cells(row, method: summary.method)) }
        return heading + ", \(AnswerTable.basis(summary.method)):\n" + table.render()
    }
}
