import Foundation
import IsoprobeCore

/// One self-contained HTML file: inline CSS and SVG, nothing fetched from the network. The
/// answer (ratios to native with verdicts, the findings) first, then the ratio plot and the
/// overhead table, each run's syscalls, and the latency distributions.
public struct HTMLReport {
    public init() {}

    public func render(_ document: ResultDocument) -> String {
        let h = document.host
        var body = "<h1>isoprobe report</h1>\n<table class=\"facts\">\n"
        var facts = HostSummary.machine(h) + HostSummary.environments(h)
        if let s = document.suite { facts.append(("suite", s)) }
        for (k, v) in facts { body += "<tr><th>\(e(k))</th><td>\(e(v))</td></tr>\n" }
        for path in StorageNote.blockPaths(document.runs) { body += "<tr><th>block path</th><td>\(e(path))</td></tr>\n" }
        body += "</table>\n"
        if let summary = document.summary {
            body += answer(summary)
            body += "<h2>Overhead against native</h2>\n<p class=\"method\">\(e(SummaryTable.method(summary.method)))</p>\n"
            let plotted = Set(MetricDefinition.shown(in: .plot).map(\.name))
            let intervals = summary.metrics.filter { plotted.contains($0.metric) }
                .compactMap { m in m.vsNative.map { SVGPlot.Interval(workload: m.workload, label: "\(m.environment) · \(SummaryTable.label(m.metric))",
                                                                     environment: m.environment, ratio: $0) } }
            body += "<figure class=\"plot\" id=\"ratios\">" + SVGPlot.ratios(title: "Ratio to native", rows: intervals) + "</figure>\n"
            body += "<table class=\"summary\"><tr><th>workload</th><th>environment</th><th>metric</th><th>median</th><th>IQR</th><th>95% CI</th><th>vs native [95% CI]</th><th>p</th></tr>\n"
            for m in SummaryTable.rows(summary) {
                let cls = m.vsNative?.significant == true ? " class=\"significant\"" : ""
                body += "<tr\(cls)><td><code>\(e(m.workload))</code></td><td>\(e(m.environment))</td><td>\(e(SummaryTable.label(m.metric)))</td>"
                    + "<td>\(e(SummaryTable.value(m.median, unit: m.unit)))</td><td>\(e(SummaryTable.value(m.iqr, unit: m.unit)))</td>"
                    + "<td>\(e(SummaryTable.value(m.ciLow, unit: m.unit))) – \(e(SummaryTable.value(m.ciHigh, unit: m.unit)))</td>"
                    + "<td>\(e(SummaryTable.ratio(m.vsNative)))</td><td>\(m.vsNative.map { String(format: "%.4f", $0.pValue) } ?? "–")</td></tr>\n"
            }
            body += "</table>\n"
        }
        body += runs(RunGroups.of(document.runs))
        body += MemoryLatencySection.html(document)
        body += "<h2>Latency distributions</h2>\n"
        for workload in document.runs.map(\.workload.spec).uniqued() {
            let groups = RunGroups.of(document.runs.filter { $0.workload.spec == workload })
            let medians = groups.map(\.median)
            body += "<h3><code>\(e(workload))</code></h3>\n"
            // The syscall the first environment made most, in every environment.
            if let top = medians.first?.syscalls.first?.name {
                let series = medians.compactMap { r in r.syscall(top).map { SVGPlot.Series(environment: r.environment, histogram: $0.latencyHist) } }
                body += "<figure class=\"plot\">" + SVGPlot.histograms(title: "\(top) latency", series: series) + "</figure>\n"
            }
            let runq = medians.compactMap { r in r.sched.map { SVGPlot.Series(environment: r.environment, histogram: $0.runqueueLatencyHist) } }
                .filter { !$0.histogram.isEmpty }
            if !runq.isEmpty {
                body += "<figure class=\"plot\">" + SVGPlot.histograms(title: "run-queue latency", series: runq) + "</figure>\n"
            }
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>isoprobe report</title>
        <style>
        body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}
        table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
        tr.significant td{background:#fff3cd}.method{color:#555;font-size:13px}figure.plot{margin:1em 0}
        code{font-size:12px}
        </style></head><body>
        \(body)</body></html>

        """
    }

    /// The answer table with its verdicts, what they mean, and every finding.
    func answer(_ summary: SummaryReport) -> String {
        let rows = AnswerTable.rows(summary)
        guard !rows.isEmpty else { return "" }
        var out = "<h2>Answer</h2>\n<p>Ratio to native of each workload's primary metric (\(e(AnswerTable.basis(summary.method)))).</p>\n"
        out += table(AnswerTable.headers, rows.map { AnswerTable.cells($0, method: summary.method) }, cls: "answer") {
            [.slower, .faster].contains(rows[$0].verdict) ? "significant" : nil
        }
        out += "<p class=\"method\">\(e(AnswerTable.legend(summary.method))).</p>\n"
        let found = AnswerTable.findings(summary)
        out += found.isEmpty ? "<p>Findings: no significant difference in any gating metric.</p>\n"
            : "<h3>Findings, largest first</h3>\n"
                + table(AnswerTable.findingHeaders, found.map { AnswerTable.findingCells($0, in: summary) }, cls: "findings") { _ in nil }
        let hostNetwork = HostNetworkTable.rows(summary)
        if !hostNetwork.isEmpty {
            out += "<p>The \(e(HostNetworkTable.heading)) (\(e(AnswerTable.basis(summary.method)))).</p>\n"
                + table(HostNetworkTable.headers, hostNetwork.map { HostNetworkTable.cells($0, method: summary.method) }, cls: "answer") {
                    [.slower, .faster].contains(hostNetwork[$0].verdict) ? "significant" : nil
                }
        }
        return out
    }

    /// Per workload and environment, its median run: set-up and tear-down times and the top syscalls.
    func runs(_ groups: [RunGroups]) -> String {
        var out = "<h2>Runs</h2>\n"
        for group in groups {
            let run = group.median
            out += "<h3>\(e(run.environment)): <code>\(e(run.workload.spec))</code></h3>\n<p>\(group.runs.count) "
                + "run\(group.runs.count == 1 ? "" : "s"); median wall \(e(Format.duration(ns: run.wallNs))), exit: \(e(run.exit.description)); "
                + "set-up \(e(Format.duration(ns: run.setupNs))), tear-down \(e(Format.duration(ns: run.teardownNs)))</p>\n"
            guard !run.syscalls.isEmpty else { continue }
            let rows = run.syscalls.prefix(10).map { s in
                [s.name, String(s.count), String(s.errors), Format.duration(ns: s.totalNs), Format.duration(ns: s.meanNs),
                 s.latencyHist.quantile(0.99).map { Format.duration(ns: $0) } ?? "–"]
            }
            out += table(["syscall", "count", "errors", "total", "mean", "p99"], rows, cls: "syscalls") { _ in nil }
        }
        return out
    }

    /// An HTML table; `rowClass` gives a row's class by its index.
    func table(_ headers: [String], _ rows: [[String]], cls: String, rowClass: (Int) -> String?) -> String {
        "<table class=\"\(cls)\"><tr>" + headers.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
            + rows.enumerated().map { i, cells in
                "<tr\(rowClass(i).map { " class=\"\($0)\"" } ?? "")>" + cells.map { "<td>\(e($0))</td>" }.joined() + "</tr>\n"
            }.joined() + "</table>\n"
    }

    func e(_ s: String) -> String { SVGPlot.escape(s) }
}
