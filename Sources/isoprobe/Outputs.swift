import Analysis
import Foundation
import IsoprobeCore
import Reports

/// The statistics every report shows, and where the formats are written.
enum Outputs {
    static func summary(_ runs: [RunResult], method: SummaryMethod) -> SummaryReport? {
        runs.isEmpty ? nil : Summarizer(method: method).summarize(runs)
    }

    static func terminalText(_ document: ResultDocument) -> String {
        TextReport(colour: TextReport.colourWanted).render(document)
    }

    /// Every format into a folder, each file written beside and renamed into place.
    static func writeAll(_ document: ResultDocument, to directory: String) throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw IsoprobeError(.failed, "cannot create --out folder \(directory)", cause: "\(error)")
        }
        for format in ExportFormat.allCases {
            let text = try Exporter.render(document, as: format)
            try write(Data(text.utf8), to: (directory as NSString).appendingPathComponent(format.fileName))
        }
        FileHandle.standardError.write(Data("isoprobe: reports in \(directory): \(ExportFormat.allCases.map(\.fileName).joined(separator: ", "))\n".utf8))
    }

    /// Written beside and renamed into place: a reader never sees half a file.
    static func write(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp"
        do { try data.write(to: URL(fileURLWithPath: tmp)) } catch {
            throw IsoprobeError(.failed, "cannot write \(path)", cause: "\(error)")
        }
        if rename(tmp, path) != 0 {
            let cause = String(cString: strerror(errno))
            unlink(tmp)
            throw IsoprobeError(.failed, "cannot write \(path)", cause: cause)
        }
    }
}
