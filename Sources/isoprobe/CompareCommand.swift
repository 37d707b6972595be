import Analysis
import ArgumentParser
import Foundation
import History
import IsoprobeCore
import Reports

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "What regressed or improved between two recorded runs or selections of runs; exits 5 on a regression (for CI gates).",
        discussion: """
        A metric changed only when the Mann-Whitney U test gives p < 0.01 and the interval of the change lies
        wholly beyond the threshold (default 5%). Native figures are compared as they are; a container's or a
        guest's, as its cost against native in each session's paired rounds, so that a change of the host
        (its load, its clock, its disk) shows once, on native. Gating metrics (wall and CPU time, ns/op, syscall latency and counts, page
        faults, peak RSS) decide the exit code; scheduler placement and set-up time are listed as information.
        Workloads pair by spec; a workload whose parameters changed pairs by name when that is unambiguous.
        Each side is a run (an id from `isoprobe history`, latest or latest~N of this host label) or every run
        matching key=value pairs: host=LABEL, kernel=RELEASE, since=DAY, until=DAY, e.g.
          isoprobe compare host=web-1,kernel=6.6 host=web-1,kernel=6.12
        """)

    @Argument(help: "The baseline: a run (an id from `isoprobe history`, latest or latest~N) or a selection (host=H,kernel=K,since=DAY,until=DAY).")
    var a: String

    @Argument(help: "The run or selection judged against it.")
    var b: String

    @Option(name: .customLong("threshold"), help: "Relative difference under which nothing is called a change.")
    var threshold: Double = 0.05

    @Option(name: .customLong("alpha"), help: "Significance level of the rank test.")
    var alpha: Double = 0.01

    @Option(name: .customLong("format"), help: "text or markdown.")
    var format: String = "text"

    @Flag(name: .customLong("all"), help: "List unchanged metrics too.")
    var all = false

    @OptionGroup var historyOptions: HistoryOptions

    func validate() throws {
        if !(threshold > 0 && threshold < 1) { throw ValidationError("--threshold must be between 0 and 1, e.g. 0.05") }
        if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must be between 0 and 1, e.g. 0.01") }
        if !["text", "markdown"].contains(format) { throw ValidationError("--format takes text or markdown") }
    }

    func run() throws {
        let changes: [MetricChange]
        let (idA, idB): (String, String)
        do {
            let selectionA = try Selection(a), selectionB = try Selection(b)
            let history = try historyOptions.existing()
            let (labelA, runsA) = try selectionA.runs(in: history, hostLabel: historyOptions.hostLabel)
            let (labelB, runsB) = try selectionB.runs(in: history, hostLabel: historyOptions.hostLabel)
            (idA, idB) = (labelA, labelB)
            let method = SummaryMethod(repetitions: 0, warmups: 0, order: "", alpha: alpha, threshold: threshold)
            changes = ChangeDetector(method: method).changes(from: runsA, to: runsB)
            guard !changes.isEmpty else {
                throw IsoprobeError(.usage, "\(idA) and \(idB) share no workload and environment to compare",
                                    fix: "compare runs of the same suite")
            }
        } catch {
            fail(error)
        }
        let regressions = changes.filter { $0.verdict == .regression && ChangeDetector.isGating($0) }
        if format == "markdown" {
            print(MarkdownReport().render(changes: all ? changes : changes.filter { $0.verdict != .unchanged },
                                          a: idA, b: idB, gating: ChangeDetector.isGating), terminator: "")
        } else {
            print(text(changes, idA, idB), terminator: "")
        }
        if !regressions.isEmpty { throw ExitCode(ExitStatus.verdictFailed.rawValue) }
    }

    func text(_ changes: [MetricChange], _ idA: String, _ idB: String) -> String {
        let order: [MetricChange.Verdict] = [.regression, .improvement, .unchanged]
        let shown = changes.filter { all || $0.verdict != .unchanged }
            .sorted { order.firstIndex(of: $0.verdict)! < order.firstIndex(of: $1.verdict)! }
        var table = Table(["verdict", "workload", "environment", "metric", idA, idB, "ratio [95% CI]", "p",
                           "±", "detectable"])
        for c in shown {
            table.add([c.verdict.rawValue + (c.verdict != .unchanged && !ChangeDetector.isGating(c) ? " (info)" : ""),
                       c.workload, c.environment, c.metric, SummaryTable.value(c.medianA, unit: c.unit),
                       SummaryTable.value(c.medianB, unit: c.unit),
                       String(format: "%.3fx [%.3f, %.3f]", c.ratio.ratio, c.ratio.ciLow, c.ratio.ciHigh),
                       String(format: "%.4f", c.ratio.pValue), SummaryTable.precision(c.ratio, metric: c.metric),
                       SummaryTable.detectable(c.ratio)])
        }
        let regressions = changes.filter { $0.verdict == .regression && ChangeDetector.isGating($0) }.count
        let improvements = changes.filter { $0.verdict == .improvement && ChangeDetector.isGating($0) }.count
        let diagnostic = changes.filter { $0.verdict != .unchanged && !ChangeDetector.isGating($0) }.count
        var out = "compare \(idA) -> \(idB): \(changes.count) metrics, \(regressions) regression\(regressions == 1 ? "" : "s"), "
            + "\(improvements) improvement\(improvements == 1 ? "" : "s") (p < \(alpha) and the 95% interval beyond \(Int(threshold * 100))%)"
            + (diagnostic > 0 ? "; \(diagnostic) change\(diagnostic == 1 ? "" : "s") in diagnostic metrics, not gated" : "") + "\n"
            + "± is the precision of each ratio (half its interval); detectable, the smallest change these runs could have called (unpaired: two sessions' runs cannot be matched)\n"
            + (changes.contains { $0.basis == .costVsNative }
                ? "figures in x are costs against native from each session's paired rounds: a change of the host shows once, on native\n" : "")
        if !shown.isEmpty { out += table.render() }
        return out
    }
}
