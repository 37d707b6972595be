import Analysis
import ArgumentParser
import Foundation
import History
import Host
import IsoprobeCore
import Reports

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a recorded run in one of the report formats.",
        discussion: """
        Formats: \(ExportFormat.names). RUN is an id from `isoprobe history`, latest or latest~N.
        --push sends the Prometheus text format to a Pushgateway (an HTTP PUT that replaces the group's metrics):
          isoprobe export latest --push http://127.0.0.1:9091    # group job=isoprobe, instance=<host label>
        """)

    @Argument(help: "The run to export.")
    var runReference: String = "latest"

    @Option(name: .customLong("format"), help: "One of: \(ExportFormat.names) (default json; prometheus with --push).")
    var formatOption: String?

    @Option(name: .customLong("push"), help: "Send the metrics to this Prometheus Pushgateway (http://HOST:9091, grouped as job=isoprobe, instance=the host label; or a full http://HOST:9091/metrics/job/... URL) instead of printing them.")
    var push: String?

    var format: String { formatOption ?? (push != nil ? ExportFormat.prometheus.rawValue : ExportFormat.json.rawValue) }

    @Option(name: .customLong("output"), help: "Write to FILE instead of standard output.")
    var output: String?

    @Flag(name: .customLong("detail"), help: "With --format text: add per-syscall tables, histograms, scheduling and the side-by-side tables.")
    var detail = false

    @OptionGroup var historyOptions: HistoryOptions

    func validate() throws {
        if ExportFormat(rawValue: format) == nil {
            throw ValidationError("--format: unknown format '\(format)'; use one of: \(ExportFormat.names)")
        }
        if let push, HTTPRequest.Address(push) == nil {
            throw ValidationError("--push \(push): not a Pushgateway URL; give http://HOST:9091 or http://HOST:9091/metrics/job/JOB/LABEL/VALUE (plain HTTP)")
        }
        if push != nil && format != ExportFormat.prometheus.rawValue {
            throw ValidationError("--push sends the Prometheus text format, which a Pushgateway takes: drop --format \(format) or give --format prometheus")
        }
        if detail && format != ExportFormat.text.rawValue {
            throw ValidationError("--detail applies to --format text; the other formats always carry every figure")
        }
    }

    func run() throws {
        do {
            let history = try historyOptions.existing()
            let id = try history.resolve(runReference, hostLabel: historyOptions.hostLabel)
            // Grouped under the host that ran the session, whichever host exports it.
            let gateway = try push.map { url in
                try Pushgateway(url, hostLabel: try history.sessions(limit: 1, filter: SessionFilter(sessions: [id])).first?.hostLabel
                                ?? historyOptions.hostLabel)
            }
            var document = try history.document(session: id)
            let method = try history.method(session: id) ?? SummaryMethod(repetitions: 1, warmups: 0, order: "as recorded")
            document.summary = Outputs.summary(document.runs, method: method)
            let text = try Exporter.render(document, as: ExportFormat(rawValue: format)!,
                                           colour: output == nil && format == "text" && TextReport.colourWanted, detail: detail)
            guard let gateway else { return try OutputFile.write(text, toOutput: output) }
            if let output { try OutputFile.write(Data(text.utf8), to: output) }
            try gateway.push(text, contentType: PrometheusTextExport.contentType)
            let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
            print("pushed \(samples) samples of run \(id.prefix(8)) to \(gateway.address.text)")
        } catch {
            fail(error)
        }
    }
}
