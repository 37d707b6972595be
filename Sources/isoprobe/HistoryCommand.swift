import ArgumentParser
import Foundation
import History
import IsoprobeCore
import Reports

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the runs kept in the history, send kept runs to a shared database, or show a fleet matrix.",
        discussion: "Each `isoprobe run` is one entry; `compare` and `export` take its id, or latest / latest~N.",
        subcommands: [HistoryListCommand.self, HistoryPushCommand.self, HistoryMatrixCommand.self],
        defaultSubcommand: HistoryListCommand.self)
}

/// Which sessions: the fleet filters `history` and `history matrix` share.
struct SessionFilterOptions: ParsableArguments {
    @Option(name: .customLong("host"), help: "Only this host label's runs.")
    var host: String?

    @Option(name: .customLong("kernel"), help: "Only runs on this kernel release, or releases it starts (6.12 takes 6.12.x).")
    var kernel: String?

    @Option(name: .customLong("since"), help: "Only runs started on or after this day or time (2026-12-01, or 2026-12-01T12:00:00Z).")
    var since: HistoryDate?

    @Option(name: .customLong("until"), help: "Only runs started before this day or time.")
    var until: HistoryDate?

    var filter: SessionFilter {
        SessionFilter(hostLabel: host, kernel: kernel, since: since?.date, until: until?.date)
    }
}

/// A day (2026-12-01, UTC) or an instant (2026-12-01T12:00:00Z).
struct HistoryDate: ExpressibleByArgument, Sendable {
    var date: Date

    init?(argument: String) {
        guard let date = Self.parse(argument) else { return nil }
        self.date = date
    }

    static func parse(_ text: String) -> Date? {
        let iso = ISO8601DateFormatter()
        if let d = iso.date(from: text) { return d }
        iso.formatOptions = [.withFullDate]
        return iso.date(from: text)
    }
}

struct HistoryListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the recorded runs, newest first (the default of `isoprobe history`).")

    @Option(name: .customLong("limit"), help: "Show at most this many runs, newest first.")
    var limit: Int = 20

    @OptionGroup var selection: SessionFilterOptions

    @OptionGroup var historyOptions: HistoryOptions

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        do {
            let location = try historyOptions.location()
            if case .file(let path) = location, !FileManager.default.fileExists(atPath: path) {
                print("no runs recorded yet (\(path))")
                return
            }
            let history = try History(location)
            let sessions = try history.sessions(limit: limit, filter: selection.filter)
            var table = Table(["run", "host", "started", "status", "suite", "environments", "workloads", "runs", "failed",
                               "kernel", "accel", "runtimes"])
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime]
            for s in sessions {
                let status = s.keptFor == nil ? s.status : "\(s.status), kept for \(s.keptFor!)"
                table.add([String(s.id.prefix(8)), s.hostLabel, f.string(from: s.startedAt), status,
                           s.suite.map { ($0 as NSString).lastPathComponent } ?? "-",
                           s.environments.joined(separator: ","), "\(s.workloads)", "\(s.runs)", "\(s.failedRuns)",
                           s.kernel, s.accelerator ?? "-", s.runtimeVersions ?? "-"])
            }
            print("history: \(history.location)")
            print(table.render(indent: ""), terminator: "")
        } catch {
            fail(error)
        }
    }
}

struct HistoryPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Send the runs kept in the local file, while the shared database could not be reached, to that database.",
        discussion: "Each run is stored once however often this is repeated; sessions are matched by id.")

    @OptionGroup var historyOptions: HistoryOptions

    func run() throws {
        do {
            let target = try historyOptions.location()
            guard case .postgres = target else {
                throw IsoprobeError(.usage, "history push sends to a shared database, and \(target.printable) is a file",
                                    fix: "give --db postgres://user@host/db or set ISOPROBE_HISTORY to it")
            }
            let localPath = historyOptions.localPath
            guard FileManager.default.fileExists(atPath: localPath) else {
                print("nothing to push: no local history at \(localPath)")
                return
            }
            let local = try History(.file(localPath))
            let shared = try History(target)
            let outcome = try local.push(to: shared)
            print("pushed \(outcome.sessions) session\(outcome.sessions == 1 ? "" : "s") from \(localPath) to \(shared.location): "
                  + "\(outcome.runsAdded) new run\(outcome.runsAdded == 1 ? "" : "s") of \(outcome.runsSent) sent")
        } catch {
            fail(error)
        }
    }
}
