import ArgumentParser
import Foundation
import History
import IsoprobeCore
import Reports

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the runs kept in the history database.",
        discussion: "Each `isoprobe run` is one entry; `compare` and `export` take its number, or latest / latest~N.")

    @Option(name: .customLong("limit"), help: "Show at most this many runs, newest first.")
    var limit: Int = 20

    @OptionGroup var historyOptions: HistoryOptions

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        do {
            let path = try historyOptions.path()
            guard FileManager.default.fileExists(atPath: path) else {
                print("no runs recorded yet (\(path))")
                return
            }
            let sessions = try History(path: path).sessions(limit: limit)
            var table = Table(["run", "started", "status", "suite", "environments", "workloads", "runs", "failed",
                               "kernel", "accel", "runtimes"])
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime]
            for s in sessions {
                table.add(["\(s.id)", f.string(from: s.startedAt), s.status, s.suite.map { ($0 as NSString).lastPathComponent } ?? "-",
                           s.environments.joined(separator: ","), "\(s.workloads)", "\(s.runs)", "\(s.failedRuns)",
                           s.kernel, s.accelerator ?? "-", s.runtimeVersions ?? "-"])
            }
            print("history: \(path)")
            print(table.render(indent: ""), terminator: "")
        } catch {
            fail(error)
        }
    }
}
