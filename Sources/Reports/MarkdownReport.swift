import Foundation
import IsoprobeCore

/// The report as Markdown, for a pull request or a wiki: host, the answer (ratios to native
/// with verdicts, then the findings), method and the overhead table, then per workload and
/// environment the figures and syscalls of its median run.
public struct MarkdownReport {
    public init() {}

    public func render(_ document: ResultDocument) -> String {
        let h = document.host
        var out = "# isoprobe report\n\n"
        out += "| host | kernel | CPU | cgroup | clocksource |\n|---|---|---|---|---|\n"
        out += "| \(cell(h.hostname)) | \(cell(h.kernel)) | \(h.cpus) × \(cell(h.cpuModel)) | \(h.cgroupLayout) | \(h.clocksource) |\n\n"
        if let facts = HostSummary.environmentsLine(h) { out += "Environments: " + facts + ".\n\n" }
        if let suite = document.suite { out += "Suite: `\(suite)`.\n\n" }
        for note in StorageNote.lines(document.runs) { out += "> **Note:** \(cell(note)).\n\n" }
        for path in StorageNote.blockPaths(document.runs) { out += "Block path: \(cell(path)).\n\n" }
        if let summary = document.summary {
            out += answer(summary)
            out += "## Overhead against native\n\n" + SummaryTable.method(summary.method) + ".\n\n"
            out += "| workload | environment | metric | median | IQR | 95% CI of median | vs native [95% CI] | p | ± | detectable |\n"
            out += "|---|---|---|---:|---:|---|---|---:|---:|---:|\n"
            for m in SummaryTable.rows(summary) {
                let ci = SummaryTable.value(m.ciLow, unit: m.unit) + " – " + SummaryTable.value(m.ciHigh, unit: m.unit)
                let ratio = m.vsNative.map { r in
                    String(format: "%.2f× [%.2f, %.2f]", r.ratio, r.ciLow, r.ciHigh) + (r.significant ? " **significant**" : "")
                } ?? "–"
                out += "| `\(cell(m.workload))` | \(m.environment) | \(SummaryTable.label(m.metric)) | "
                    + "\(SummaryTable.value(m.median, unit: m.unit)) | \(SummaryTable.value(m.iqr, unit: m.unit)) | \(ci) | "
                    + "\(ratio) | \(m.vsNative.map { String(format: "%.4f", $0.pValue) } ?? "–") | "
                    + "\(SummaryTable.precision(m.vsNative, metric: m.metric, target: summary.method.precisionTarget)) | \(SummaryTable.detectable(m.vsNative)) |\n"
            }
            out += "\n"
        }
        out += "## Runs\n\n"
        for group in RunGroups.of(document.runs) {
            let run = group.median
            out += "### \(run.environment): `\(cell(run.workload.spec))`\n\n"
            out += "- \(group.runs.count) run\(group.runs.count == 1 ? "" : "s"); median wall \(Format.duration(ns: run.wallNs)), "
                + "exit: \(run.exit.description)\n"
            out += "- environment: set-up \(Format.duration(ns: run.setupNs)), tear-down \(Format.duration(ns: run.teardownNs))\n"
            if let r = run.workloadReport { out += "- workload: \(r.ops) ops, " + String(format: "%.2f ns/op", r.nsPerOp) + "\n" }
            if let path = run.network?.path { out += "- network path: \(cell(path.summary))\n" }
            if let figures = NetworkNote.figures(run) { out += "- network: \(cell(figures))\n" }
            if let s = run.sched {
                out += "- scheduling: \(s.contextSwitches.voluntary) voluntary + \(s.contextSwitches.involuntary) involuntary switches, \(s.migrations) migrations\n"
            }
            if let m = run.memory {
                out += "- memory: \(m.pageFaults.user) user + \(m.pageFaults.kernel) kernel page faults, peak RSS \(Format.bytes(m.peakRssBytes))\n"
            }
            if !run.syscalls.isEmpty {
                out += "\n| syscall | count | errors | total | mean |\n|---|---:|---:|---:|---:|\n"
                for s in run.syscalls.prefix(10) {
                    out += "| \(s.name) | \(s.count) | \(s.errors) | \(Format.duration(ns: s.totalNs)) | \(Format.duration(ns: s.meanNs)) |\n"
                }
            }
            out += "\n"
        }
        return out
    }

    /// What `isoprobe compare` found, regressions first.
    public func render(changes: [MetricChange], a: String, b: String, gating: (MetricChange) -> Bool) -> String {
        var out = "# isoprobe compare: \(a) → \(b)\n\n"
        let order: [MetricChange.Verdict] = [.regression, .improvement, .unchanged]
        out += "Each ratio with its precision (±, half its interval) and the smallest change these runs could have detected.\n\n"
        if changes.contains(where: { $0.basis == .costVsNative }) {
            out += "Figures in × are costs against native from each session's paired rounds: a change of the host shows once, on native.\n\n"
        }
        out += "| verdict | workload | environment | metric | \(a) | \(b) | ratio [95% CI] | p | ± | detectable |\n|---|---|---|---|---:|---:|---|---:|---:|---:|\n"
        for c in changes.sorted(by: { order.firstIndex(of: $0.verdict)! < order.firstIndex(of: $1.verdict)! }) {
            let verdict = c.verdict == .unchanged ? "unchanged" : "**\(c.verdict.rawValue)**" + (gating(c) ? "" : " (not gated)")
            out += "| \(verdict) | `\(cell(c.workload))` | \(c.environment) | \(c.metric) | "
                + "\(SummaryTable.value(c.medianA, unit: c.unit)) | \(SummaryTable.value(c.medianB, unit: c.unit)) | "
                + String(format: "%.3f× [%.3f, %.3f] | %.4f | ", c.ratio.ratio, c.ratio.ciLow, c.ratio.ciHigh, c.ratio.pValue)
                + "\(SummaryTable.precision(c.ratio, metric: c.metric)) | \(SummaryTable.detectable(c.ratio)) |\n"
        }
        return out
    }

    /// The answer table, what its verdicts mean, and every finding.
    func answer(_ summary: SummaryReport) -> String {
        let rows = AnswerTable.rows(summary)
        guard !rows.isEmpty else { return "" }
        var out = "## Answer\n\nRatio to native of each workload's primary metric (\(AnswerTable.basis(summary.method))).\n\n"
        out += table(AnswerTable.headers, rows.map { AnswerTable.cells($0, method: summary.method) })
        out += "\n" + AnswerTable.legend(summary.method) + ".\n\n"
        let found = AnswerTable.findings(summary)
        if found.isEmpty {
            out += "Findings: no significant difference in any gating metric.\n\n"
        } else {
            out += "Findings, largest first:\n\n" + table(AnswerTable.findingHeaders, found.map { AnswerTable.findingCells($0, in: summary) }) + "\n"
        }
        let hostNetwork = HostNetworkTable.rows(summary)
        if !hostNetwork.isEmpty {
            out += "The \(HostNetworkTable.heading) (\(AnswerTable.basis(summary.method))).\n\n"
                + table(HostNetworkTable.headers, hostNetwork.map { HostNetworkTable.cells($0, method: summary.method) }) + "\n"
        }
        return out
    }

    /// A Markdown table; the first column as code (workload specs).
    func table(_ headers: [String], _ rows: [[String]]) -> String {
        "| " + headers.joined(separator: " | ") + " |\n|" + headers.map { _ in "---|" }.joined() + "\n"
            + rows.map { r in "| " + r.enumerated().map { $0.offset == 0 ? "`\(cell($0.element))`" : cell($0.element) }
                .joined(separator: " | ") + " |\n" }.joined()
    }

    func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
}

/// Runs grouped by workload and environment (first-seen order), with the median-wall run.
public struct RunGroups {
    public var runs: [RunResult]
    public var median: RunResult { runs.sorted { $0.wallNs < $1.wallNs }[runs.count / 2] }

    public static func of(_ runs: [RunResult]) -> [RunGroups] {
        var keys: [String] = []
        var groups: [String: [RunResult]] = [:]
        for r in runs {
            let key = r.workload.spec + "\u{0}" + r.environment
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(r)
        }
        return keys.map { RunGroups(runs: groups[$0]!) }
    }
}
