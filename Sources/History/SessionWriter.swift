import Foundation
import IsoprobeCore

/// Writes one session as its runs finish. When the history is a shared database that
/// cannot be reached, at the start or midway, the session goes on in the local SQLite file,
/// marked as kept for that database; `isoprobe history push` sends it later. Nothing
/// finished is lost either way.
public final class SessionWriter {
    public let id: String
    public let hostLabel: String
    /// Where the session is being written now.
    public private(set) var history: History
    /// Set once the session moved to the local file: the notice said once.
    public private(set) var keptLocally = false
    let target: HistoryLocation
    let localPath: String
    let begin: (History, String?) throws -> Void
    var seq = 0
    /// Where to say that the shared database went away (standard error in the CLI).
    let notice: (String) -> Void

    public init(_ target: HistoryLocation, localPath: String, hostLabel: String, host: HostFacts, command: [String],
                suite: String?, method: SummaryMethod?, notice: @escaping (String) -> Void) throws {
        self.target = target
        self.localPath = localPath
        self.hostLabel = hostLabel
        self.notice = notice
        let id = HistorySchema.newSessionID()
        self.id = id
        let started = Date()
        begin = { history, keptFor in
            _ = try history.begin(id: id, hostLabel: hostLabel, host: host, command: command, suite: suite, method: method,
                                  at: started, keptFor: keptFor)
        }
        do {
            history = try History(target)
            try begin(history, nil)
        } catch {
            guard case .postgres = target else { throw error }
            history = try Self.local(localPath)
            try keepLocally(because: error)
        }
    }

    static func local(_ path: String) throws -> History { try History(.file(path)) }

    /// One finished run; a shared database that stopped answering moves the session here.
    public func record(_ run: RunResult, warmup: Bool) throws {
        defer { seq += 1 }
        try writing { try $0.record(run, session: id, seq: seq, warmup: warmup) }
    }

    public func finish(_ status: SessionStatus, host: HostFacts) throws {
        try writing { try $0.finish(id, status: status, host: host) }
    }

    private func writing(_ body: (History) throws -> Void) throws {
        do {
            try body(history)
        } catch where !keptLocally && history.isShared && !history.isReachable {
            history = try Self.local(localPath)
            try keepLocally(because: error)
            try body(history)
        }
    }

    /// The session as begun, in the local file, marked for the shared database.
    private func keepLocally(because error: Error) throws {
        try begin(history, target.printable)
        keptLocally = true
        let reason = (error as? IsoprobeError)?.message ?? ErrorWords.of(error)
        notice("\(reason); runs are kept in \(localPath): send them with `isoprobe history push --db \(target.printable) --local-db \(localPath)`")
    }
}
