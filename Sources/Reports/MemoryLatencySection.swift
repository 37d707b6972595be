import Foundation
import IsoprobeCore

/// The HTML report's memlat curves: per workload, each environment's median run's curve.
enum MemoryLatencySection {
    static func html(_ document: ResultDocument) -> String {
        let runs = document.runs.filter { $0.memoryLatency != nil && $0.exit.succeeded }
        guard !runs.isEmpty else { return "" }
        var out = "<h2>Memory latency</h2>\n"
        if document.host.accelerator == "tcg" || runs.contains(where: { $0.details?.accelerator == "tcg" }) {
            out += "<p class=\"method\">The guests ran under TCG: their curve is QEMU's software MMU, and says nothing of nested paging's cost.</p>\n"
        }
        for workload in runs.map(\.workload.spec).uniqued() {
            let curves = runs.filter { $0.workload.spec == workload }.map(\.environment).uniqued().compactMap { env -> SVGPlot.Curve? in
                // The run whose largest-set latency is the median of the environment's.
                let own = runs.filter { $0.workload.spec == workload && $0.environment == env }
                    .sorted { ($0.memoryLatency?.largestNs ?? 0) < ($1.memoryLatency?.largestNs ?? 0) }
                guard let median = own.isEmpty ? nil : own[own.count / 2], let curve = median.memoryLatency else { return nil }
                return SVGPlot.Curve(environment: env, points: curve.points)
            }
            out += "<figure class=\"plot memlat\">" + SVGPlot.curves(title: workload, curves: curves) + "</figure>\n"
        }
        return out
    }
}
