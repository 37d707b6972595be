import Foundation
import IsoprobeCore

/// Sessions a run kept in the local file because the shared database could not be
/// reached, and sending them there later (`isoprobe history push`). Sending is idempotent:
/// a session is matched by its UUID and a run by (session, seq), so a push repeated, or cut
/// off between the server's commit and the local mark, stores each run once.
extension History {
    /// What one push did.
    public struct PushOutcome: Sendable, Equatable {
        public var sessions = 0
        public var runsSent = 0
        /// Runs the target did not have yet.
        public var runsAdded = 0

        public init(sessions: Int = 0, runsSent: Int = 0, runsAdded: Int = 0) {
            self.sessions = sessions
            self.runsSent = runsSent
            self.runsAdded = runsAdded
        }
    }

    /// The kept sessions meant for `target` (its printable location) not pushed yet, oldest first.
    public func keptSessions(for target: String) throws -> [String] {
        try database.read { db in
            try db.query("SELECT id FROM session WHERE kept_for = ? AND pushed_at IS NULL ORDER BY started_at",
                         [.text(target)]).compactMap { $0.string("id") }
        }
    }

    /// Every kept session not yet pushed, whatever database it was meant for.
    public func keptSessionCount() throws -> Int {
        try database.read { db in
            Int(try db.queryOne("SELECT COUNT(*) AS n FROM session WHERE kept_for IS NOT NULL AND pushed_at IS NULL", [])?
                .int("n") ?? 0)
        }
    }

    /// Sends this file's kept sessions for `target` there, then marks them pushed here.
    public func push(to target: History) throws -> PushOutcome {
        var outcome = PushOutcome()
        for id in try keptSessions(for: target.location) {
            let (session, runs) = try database.read { db in
                (try db.queryOne("SELECT * FROM session WHERE id = ?", [.text(id)]),
                 try db.query("SELECT * FROM run WHERE session_id = ? ORDER BY seq", [.text(id)]))
            }
            guard let session else { continue }
            outcome.runsAdded += try target.store(session: session, runs: runs)
            outcome.runsSent += runs.count
            outcome.sessions += 1
            try database.write { db in
                try db.execute("UPDATE session SET pushed_at = ? WHERE id = ?", [.date(Date()), .text(id)])
            }
        }
        return outcome
    }

    /// One session and its runs from another history, in one transaction: the session is
    /// added, or its end (status, finish time, final host facts) taken if it was still
    /// running here; runs it has already are left alone. Returns the runs added.
    func store(session: SQLRow, runs: [SQLRow]) throws -> Int {
        let sessionColumns = ["id", "host_label", "started_at", "finished_at", "status", "suite", "command", "isoprobe_version",
                              "hostname", "kernel", "cpu_model", "accelerator", "runtime_versions", "qemu_version",
                              "mitigations", "host_json", "method_json"]
        let runColumns = ["session_id", "seq", "environment", "workload", "repetition", "warmup", "succeeded", "exit_kind",
                          "started_at", "wall_ns", "result_json"]
        let typed: (SQLRow, String) -> SQLValue = { row, column in
            switch column {
            case "started_at", "finished_at": row.date(column).map(SQLValue.date) ?? .null
            case "warmup", "succeeded": row.bool(column).map(SQLValue.bool) ?? .null
            case "host_json", "method_json", "result_json": row.data(column).map(SQLValue.blob) ?? .null
            case "seq", "repetition", "wall_ns": row.int(column).map(SQLValue.integer) ?? .null
            default: SQLValue(row.string(column))
            }
        }
        let marks = { (n: Int) in Array(repeating: "?", count: n).joined(separator: ", ") }
        return try database.write { db in
            try db.execute("""
                INSERT INTO session (\(sessionColumns.joined(separator: ", "))) VALUES (\(marks(sessionColumns.count)))
                ON CONFLICT (id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,
                  accelerator = excluded.accelerator, runtime_versions = excluded.runtime_versions,
                  qemu_version = excluded.qemu_version, host_json = excluded.host_json
                WHERE session.status = 'running' AND excluded.status <> 'running'
                """, sessionColumns.map { typed(session, $0) })
            var added = 0
            for run in runs {
                added += try db.execute("""
                    INSERT INTO run (\(runColumns.joined(separator: ", "))) VALUES (\(marks(runColumns.count)))
                    ON CONFLICT (session_id, seq) DO NOTHING
                    """, runColumns.map { typed(run, $0) })
            }
            return added
        }
    }
}
