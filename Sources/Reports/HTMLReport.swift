import Foundation
import IsoprobeCore

/// One self-contained HTML file: inline CSS and SVG, nothing fetched from the network.
public struct HTMLReport {
    public init() {}

    public func render(_ document: ResultDocument) -> String {
        let h = document.host
        var body = "<h1>isoprobe report</h1>\n<table class=\"facts\">\n"
        var facts: [(String, String)] = [("host", h.hostname), ("kernel", h.kernel), ("CPU", "\(h.cpus) × \(h.cpuModel)"),
                                         ("cgroup layout", h.cgroupLayout), ("clocksource", h.clocksource)]
        if let r = h.runtimeVersions { facts += r.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
        if let q = h.qemuVersion { facts.append(("QEMU", q)) }
        if let a = h.accelerator { facts.append(("guest accelerator", a + (a == "tcg" ? " (emulated: not KVM's overhead)" : ""))) }
        if let s = document.suite { facts.append(("suite", s)) }
        for (k, v) in facts { body += "<tr><th>\(e(k))</th><td>\(e(v))</td></tr>\n" }
        body += "</table>\n"
        if let summary = document.summary {
            body += "<h2>Overhead against native</h2>\n<p class=\"method\">\(e(SummaryTable.method(summary.method)))</p>\n"
            let plotted = Set(MetricDefinition.shown(in: .plot).map(\.name))
            let intervals = summary.metrics.filter { plotted.contains($0.metric) }
                .compactMap { m in m.vsNative.map { SVGPlot.Interval(label: "\(m.workload) · \(m.environment) · \(SummaryTable.label(m.metric))",
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

    func e(_ s: String) -> String { SVGPlot.escape(s) }
}
