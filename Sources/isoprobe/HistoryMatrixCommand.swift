import ArgumentParser
import Foundation
import History
import IsoprobeCore
import Reports

struct HistoryMatrixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "One workload's ratio to native across hosts and kernels, from the history (text or HTML).",
        discussion: """
        Each cell is the geometric mean over that host's sessions on that kernel of the session's median in the \
        environment over its median natively (ns per op for fixtures, wall time for commands).
          isoprobe history matrix --workload getpid:count=100000 --env container --db postgres://isoprobe@db/isoprobe
        """)

    @Option(name: .customLong("workload"), help: "The workload, as recorded (its spec, e.g. getpid:count=100000).")
    var workload: String

    @Option(name: .customLong("env"), help: "The environment set against native: container or vm.")
    var environment: EnvironmentKind = .container

    @Option(name: .customLong("format"), help: "text or html.")
    var format: MatrixFormat = .text

    @Option(name: .customLong("output"), help: "Write to FILE instead of standard output.")
    var output: String?

    @OptionGroup var selection: SessionFilterOptions

    @OptionGroup var historyOptions: HistoryOptions

    enum MatrixFormat: String, ExpressibleByArgument, CaseIterable { case text, html }

    func validate() throws {
        if environment == .native { throw ValidationError("--env: the matrix sets an environment against native: give container or vm") }
    }

    func run() throws {
        do {
            let history = try historyOptions.existing()
            let sessions = try history.sessionRuns(selection.filter, workload: workload)
            let matrix = FleetMatrix(workload: workload, environment: environment.rawValue,
                                     sessions: sessions.map { .init(host: $0.hostLabel, kernel: $0.kernel, runs: $0.runs) })
            let text = format == .html ? MatrixReport.html(matrix) : MatrixReport.text(matrix)
            try OutputFile.write(text, toOutput: output)
        } catch {
            fail(error)
        }
    }
}
