import Foundation
import Harness
import History
import Host
import IsoprobeCore

/// Where a run's results go as they finish: the history database (warm-ups flagged), the
/// --json file (rewritten after every run when it is a file), and the progress display. An interruption
/// loses only the run under way.
final class RunRecorder {
    var host: HostFacts
    private(set) var runs: [RunResult] = []
    private(set) var failures: [(PlannedRun, Error)] = []
    let history: SessionWriter?
    let jsonFile: String?
    let suite: String?
    var progress: RunProgress?

    init(host: HostFacts, history options: HistoryOptions?, command: [String], suite: String?, method: SummaryMethod?,
         jsonFile: String?) throws {
        self.host = host
        self.jsonFile = jsonFile
        self.suite = suite
        history = try options.map { options in
            try SessionWriter(options.location(), localPath: options.localPath, hostLabel: options.hostLabel, host: host,
                              command: command, suite: suite, method: method) { line in
                FileHandle.standardError.write(Data("isoprobe: \(line)\n".utf8))
            }
        }
        noteSession()
    }

    /// Where the session is written, for the ledger: a killed run's session is marked
    /// abandoned by the next isoprobe, in the database that holds it now.
    private func noteSession() {
        guard let history else { return }
        ResourceLedger.shared.release(ledgerToken)
        ledgerToken = ResourceLedger.shared.record(.historySession(database: history.history.location, session: history.id,
                                                                   hostLabel: history.hostLabel))
        ledgerKeptLocally = history.keptLocally
    }

    private var ledgerKeptLocally = false

    /// The session, until it is finished: a killed run's session is marked abandoned by the next.
    private var ledgerToken: ResourceLedger.Token?

    func handle(_ event: RunEvent) {
        progress?.handle(event)
        switch event {
        case .finished(let planned, let result, _, _):
            host.note(result)
            if let history {
                do { try history.record(result, warmup: planned.warmup) } catch {
                    FileHandle.standardError.write(Data("isoprobe: \(error)\n".utf8))
                }
                if history.keptLocally != ledgerKeptLocally { noteSession() }
            }
            if !planned.warmup {
                runs.append(result)
                if let jsonFile, OutputFile.isReplaced(jsonFile) { try? Self.write(document(), to: jsonFile) }
            }
        case .failed(let planned, let error, _, _):
            failures.append((planned, error))
        case .skippedEnvironment(let env, let reason):
            // Said even without progress lines (--quiet, one run): the report would
            // otherwise just lack the environment.
            if progress == nil {
                FileHandle.standardError.write(Data("isoprobe: skipping environment \(env): \(reason)\n".utf8))
            }
        default:
            break
        }
    }

    func document(summary: SummaryReport? = nil) -> ResultDocument {
        ResultDocument(host: host, runs: runs, summary: summary, suite: suite)
    }

    /// Closes the history session; says where the finished runs are kept.
    func finish(_ status: SessionStatus) {
        progress?.finish()
        guard let history else { return }
        do { try history.finish(status, host: host) } catch {
            FileHandle.standardError.write(Data("isoprobe: \(error)\n".utf8))
        }
        ResourceLedger.shared.release(ledgerToken)
        if status != .complete {
            FileHandle.standardError.write(Data("isoprobe: \(runs.count) finished runs kept as run \(history.id) in \(history.history.location)\n".utf8))
        }
    }

    static func write(_ document: ResultDocument, to path: String) throws {
        try OutputFile.write(try document.jsonData(), to: path)
    }
}
