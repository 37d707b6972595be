import Analysis
import ArgumentParser
import Foundation
import History
import IsoprobeCore
import Reports

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "What regressed or improved between two recorded runs; exits 5 on a regression (for CI gates).",
        discussion: """
        A metric changed only when the Mann-Whitney U test gives p < 0.01 and the interval of the change lies
        wholly beyond the threshold (default 5%). Native figures are compared as they are; a container's or a
        guest's, as its cost against native in each session's paired rounds, so that a change of the host
        (its load, its clock, its disk) shows once, on native. Gating metrics (wall and CPU time, ns/op, syscall latency and counts, page
        faults, peak RSS) decide the exit code; scheduler placement and set-up time are listed as information.
        Workloads pair by spec; a workload whose parameters changed pairs by name when that is unambiguous.
        """)

    @Argument(help: "The baseline run (a number from `isoprobe history`, latest or latest~N).")
    var a: String

    @Argument(help: "The run judged against it.")
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
        let (idA, idB): (Int64, Int64)
        do {
            let history = try History(path: historyOptions.existingPath())
            idA = try history.resolve(a)
            idB = try history.resolve(b)
            let runsA = try history.document(session: idA).runs, runsB = try history.document(session: idB).runs
            let method = SummaryMethod(repetitions: 0, warmups: 0, order: "", alpha: alpha, threshold: threshold)
            changes = ChangeDetector(method: method).changes(from: runsA, to: runsB)
            guard !changes.isEmpty else {
                throw IsoprobeError(.usage, "runs \(idA) and \(idB) share no workload and environment to compare",
                                    fix: "compare runs of the same suite")
            }
        } catch {
            fail(error)
        }
        let regressions = changes.filter { $0.verdict == .regression && ChangeDetector.isGating($0) }
        if format == "markdown" {
            print(MarkdownReport().render(changes: all ? changes : changes.filter { $0.verdict != .unchanged },
                                          a: "run \(idA)", b: "run \(idB)", gating: ChangeDetector.isGating), terminator: "")
        } else {
            print(text(changes, idA, idB), terminator: "")
        }
        if !regressions.isEmpty { throw ExitCode(ExitStatus.verdictFailed.rawValue) }
    }

    func text(_ changes: [MetricChange], _ idA: Int64, _ idB: Int64) -> String {
        let order: [MetricChange.Verdict] = [.regression, .improvement, .unchanged]
        let shown = changes.filter { all || $0.verdict != .unchanged }
            .sorted { order.firstIndex(of: $0.verdict)! < order.firstIndex(of: $1.verdict)! }
        var table = Table(["verdict", "workload", "environment", "metric", "run \(idA)", "run \(idB)", "ratio [95% CI]", "p",
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
        var out = "compare run \(idA) -> run \(idB): \(changes.count) metrics, \(regressions) regression\(regressions == 1 ? "" : "s"), "
            + "\(improvements) improvement\(improvements == 1 ? "" : "s") (p < \(alpha) and the 95% interval beyond \(Int(threshold * 100))%)"
            + (diagnostic > 0 ? "; \(diagnostic) change\(diagnostic == 1 ? "" : "s") in diagnostic metrics, not gated" : "") + "\n"
            + "± is the precision of each ratio (half its interval); detectable, the smallest change these runs could have called (unpaired: two sessions' runs cannot be matched)\n"
            + (changes.contains { $0.basis == .costVsNative }
                ? "figures in x are costs against native from each session's paired rounds: a change of the host shows once, on native\n" : "")
        if !shown.isEmpty { out += table.render() }
        return out
    }
}
