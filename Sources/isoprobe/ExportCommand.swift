import Analysis
import ArgumentParser
import Foundation
import History
import IsoprobeCore
import Reports

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a recorded run in one of the report formats.",
        discussion: "Formats: \(ExportFormat.names). RUN is an id from `isoprobe history`, latest or latest~N.")

    @Argument(help: "The run to export.")
    var runReference: String = "latest"

    @Option(name: .customLong("format"), help: "One of: \(ExportFormat.names).")
    var format: String = "json"

    @Option(name: .customLong("output"), help: "Write to FILE instead of standard output.")
    var output: String?

    @Flag(name: .customLong("detail"), help: "With --format text: add per-syscall tables, histograms, scheduling and the side-by-side tables.")
    var detail = false

    @OptionGroup var historyOptions: HistoryOptions

    func validate() throws {
        if ExportFormat(rawValue: format) == nil {
            throw ValidationError("--format: unknown format '\(format)'; use one of: \(ExportFormat.names)")
        }
        if detail && format != ExportFormat.text.rawValue {
            throw ValidationError("--detail applies to --format text; the other formats always carry every figure")
        }
    }

    func run() throws {
        do {
            let history = try historyOptions.existing()
            let id = try history.resolve(runReference, hostLabel: historyOptions.hostLabel)
            var document = try history.document(session: id)
            let method = try history.method(session: id) ?? SummaryMethod(repetitions: 1, warmups: 0, order: "as recorded")
            document.summary = Outputs.summary(document.runs, method: method)
            let text = try Exporter.render(document, as: ExportFormat(rawValue: format)!,
                                           colour: output == nil && format == "text" && TextReport.colourWanted, detail: detail)
            try OutputFile.write(text, toOutput: output)
        } catch {
            fail(error)
        }
    }
}
