import Foundation

/// The one schema both backends hold, written once; the dialect names the few types that
/// differ. A session is a UUID, so sessions from many hosts never collide in one database,
/// and its host label scopes `latest`. Runs are keyed by (session, seq): the writer numbers
/// them, so a run sent twice (`history push`) is stored once.
public enum HistorySchema {
    /// The version this isoprobe writes. SQLite files of "v1" are migrated to it; a
    /// PostgreSQL database starts at it.
    public static let current = "v2"

    /// Where `version` stands against `current`: versions count up from "v1".
    public static func standing(of version: String) -> ComparisonResult {
        let (found, now) = (Int(version.dropFirst()) ?? 0, Int(current.dropFirst()) ?? 0)
        return found < now ? .orderedAscending : found > now ? .orderedDescending : .orderedSame
    }

    public static func newSessionID() -> String { UUID().uuidString.lowercased() }

    static func statements(_ d: SQLDialect) -> [String] {
        [
            """
            CREATE TABLE session (
              id TEXT PRIMARY KEY NOT NULL,
              host_label TEXT NOT NULL,
              started_at \(d.timestamp) NOT NULL,
              finished_at \(d.timestamp),
              status TEXT NOT NULL,
              suite TEXT,
              command TEXT NOT NULL,
              isoprobe_version TEXT NOT NULL,
              hostname TEXT NOT NULL,
              kernel TEXT NOT NULL,
              cpu_model TEXT NOT NULL,
              accelerator TEXT,
              runtime_versions TEXT,
              qemu_version TEXT,
              mitigations TEXT,
              host_json \(d.json) NOT NULL,
              method_json \(d.json),
              kept_for TEXT,
              pushed_at \(d.timestamp)
            )
            """,
            "CREATE INDEX session_host_started ON session (host_label, started_at)",
            "CREATE INDEX session_kernel ON session (kernel)",
            """
            CREATE TABLE run (
              session_id TEXT NOT NULL REFERENCES session (id) ON DELETE CASCADE,
              seq INTEGER NOT NULL,
              environment TEXT NOT NULL,
              workload TEXT NOT NULL,
              repetition INTEGER NOT NULL,
              warmup \(d.boolean) NOT NULL,
              succeeded \(d.boolean) NOT NULL,
              exit_kind TEXT NOT NULL,
              started_at \(d.timestamp) NOT NULL,
              wall_ns \(d.bigint) NOT NULL,
              result_json \(d.json) NOT NULL,
              PRIMARY KEY (session_id, seq)
            )
            """,
        ]
    }
}
