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
    let history: History?
    let session: Int64?
    let jsonFile: String?
    let suite: String?
    var progress: RunProgress?

    init(host: HostFacts, history: History?, command: [String], suite: String?, method: SummaryMethod?,
         jsonFile: String?) throws {
        self.host = host
        self.history = history
        self.jsonFile = jsonFile
        self.suite = suite
        session = try history?.begin(host: host, command: command, suite: suite, method: method)
        if let history, let session {
            ledgerToken = ResourceLedger.shared.record(.historySession(database: history.path, session: session))
        }
    }

    /// The session, until it is finished: a killed run's session is marked abandoned by the next.
    private var ledgerToken: ResourceLedger.Token?

    func handle(_ event: RunEvent) {
        progress?.handle(event)
        switch event {
        case .finished(let planned, let result, _, _):
            host.note(result)
            if let history, let session {
                do { try history.record(result, session: session, warmup: planned.warmup) } catch {
                    FileHandle.standardError.write(Data("isoprobe: \(error)\n".utf8))
                }
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
        guard let history, let session else { return }
        do { try history.finish(session, status: status, host: host) } catch {
            FileHandle.standardError.write(Data("isoprobe: \(error)\n".utf8))
        }
        ResourceLedger.shared.release(ledgerToken)
        if status != .complete {
            FileHandle.standardError.write(Data("isoprobe: \(runs.count) finished runs kept as run \(session) in \(history.path)\n".utf8))
        }
    }

    static func write(_ document: ResultDocument, to path: String) throws {
        try OutputFile.write(try document.jsonData(), to: path)
    }
}
