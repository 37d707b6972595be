import Foundation
import IsoprobeCore

/// Every format a result document can be written in. All come from the one model
/// (`ResultDocument`, with its `summary` when computed).
public enum ExportFormat: String, CaseIterable, Sendable {
    case text, markdown, json, csv, openmetrics, prometheus, html
    case chromeTrace = "chrome-trace"

    /// The file `--out DIR` writes it to.
    public var fileName: String {
        switch self {
        case .text: return "report.txt"
        case .markdown: return "report.md"
        case .json: return "results.json"
        case .csv: return "runs.csv"
        case .openmetrics: return "metrics.txt"
        case .prometheus: return "metrics.prom"
        case .html: return "report.html"
        case .chromeTrace: return "trace.json"
        }
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

public enum Exporter {
    /// `detail` adds the text report's per-run syscall tables, histograms and side-by-side
    /// tables; every other format carries them always.
    public static func render(_ document: ResultDocument, as format: ExportFormat, colour: Bool = false,
                              detail: Bool = false) throws -> String {
        switch format {
        case .text: return TextReport(colour: colour, detail: detail).render(document)
        case .markdown: return MarkdownReport().render(document)
        case .json: return String(decoding: try document.jsonData(), as: UTF8.self) + "\n"
        case .csv: return CSVExport.render(document)
        case .openmetrics: return OpenMetricsExport.render(document)
        case .prometheus: return PrometheusTextExport.render(document)
        case .html: return HTMLReport().render(document)
        case .chromeTrace: return try ChromeTrace.render(document)
        }
    }
}
