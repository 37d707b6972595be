import Analysis
import Foundation
import IsoprobeCore
import Reports

/// The statistics every report shows, and where the formats are written.
enum Outputs {
    static func summary(_ runs: [RunResult], method: SummaryMethod) -> SummaryReport? {
        runs.isEmpty ? nil : Summarizer(method: method).summarize(runs)
    }

    static func terminalText(_ document: ResultDocument, detail: Bool) -> String {
        TextReport(colour: TextReport.colourWanted, detail: detail).render(document)
    }

    /// Every format into a folder, each file written by OutputFile's rules; the text report
    /// as the terminal shows it (`detail` as --detail).
    static func writeAll(_ document: ResultDocument, to directory: String, detail: Bool) throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw IsoprobeError(.failed, "cannot create --out folder \(directory)",
                                fix: "give a folder that can be made, or an existing one", cause: ErrorWords.of(error))
        }
        for format in ExportFormat.allCases {
            let text = try Exporter.render(document, as: format, detail: detail)
            try OutputFile.write(Data(text.utf8), to: (directory as NSString).appendingPathComponent(format.fileName))
        }
        FileHandle.standardError.write(Data("isoprobe: reports in \(directory): \(ExportFormat.allCases.map(\.fileName).joined(separator: ", "))\n".utf8))
    }
}
