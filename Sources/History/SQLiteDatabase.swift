import Foundation
import GRDB
import IsoprobeCore

/// The history in an embedded SQLite file (GRDB), in WAL mode with a busy timeout so that
/// readers go on while a suite writes and runs that open a new file at once all record.
final class SQLiteDatabase: SQLDatabase {
    let path: String
    let queue: DatabaseQueue
    var location: String { path }
    var dialect: SQLDialect { .sqlite }

    init(path: String, migrating: Bool = true) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw IsoprobeError(.failed, "cannot create the history folder \(dir)",
                                    fix: "pass --db PATH or set ISOPROBE_HISTORY to a writable file", cause: ErrorWords.of(error))
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        queue = try Self.reporting(path, fix: "pass --db PATH or set ISOPROBE_HISTORY to a writable SQLite file") {
            try Self.open(path, configuration: config, migrating: migrating)
        }
    }

    /// Switching a new database to WAL takes an exclusive lock, and SQLite answers a second
    /// process that asks for it at the same moment with SQLITE_BUSY at once, without its busy
    /// handler: the open is tried again for a while (10 s in all, like the busy timeout).
    static func open(_ path: String, configuration: Configuration, migrating: Bool = true) throws -> DatabaseQueue {
        let deadline = Date().addingTimeInterval(10)
        while true {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                if migrating { try migrate(queue) }
                return queue
            } catch let error as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode)
                        && Date() < deadline {
                usleep(useconds_t.random(in: 5_000...50_000))
            }
        }
    }

    /// Each migration commits or rolls back whole, but the migrator decides what to apply
    /// before its transaction starts: two processes opening a new database at once can both
    /// choose the same one, and the later fails on a table the earlier made. Its migration
    /// rolled back, so trying again sees it applied and goes on.
    static func migrate(_ queue: DatabaseQueue, upTo target: String = HistorySchema.current, attempts: Int = 5) throws {
        for attempt in 1... {
            do {
                return try migrator.migrate(queue, upTo: target)
            } catch is DatabaseError where attempt < attempts {
                if try queue.read({ try migrator.appliedIdentifiers($0).contains(target) }) { return }
            }
        }
    }

    /// "v1": integer session ids, one host (isoprobe before the shared history). "v2": the
    /// schema PostgreSQL has too (HistorySchema).
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "session") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("started_at", .datetime).notNull()
                t.column("finished_at", .datetime)
                t.column("status", .text).notNull()
                t.column("suite", .text)
                t.column("command", .text).notNull()
                t.column("isoprobe_version", .text).notNull()
                t.column("hostname", .text).notNull()
                t.column("kernel", .text).notNull()
                t.column("cpu_model", .text).notNull()
                t.column("accelerator", .text)
                t.column("runtime_versions", .text)
                t.column("qemu_version", .text)
                t.column("mitigations", .text)
                t.column("host_json", .blob).notNull()
                t.column("method_json", .blob)
            }
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("session_id", .integer).notNull().indexed().references("session", onDelete: .cascade)
                t.column("seq", .integer).notNull()
                t.column("environment", .text).notNull()
                t.column("workload", .text).notNull()
                t.column("repetition", .integer).notNull()
                t.column("warmup", .boolean).notNull()
                t.column("succeeded", .boolean).notNull()
                t.column("started_at", .datetime).notNull()
                t.column("wall_ns", .integer).notNull()
                t.column("result_json", .blob).notNull()
            }
        }
        m.registerMigration("v2") { db in
            // v1's tables move aside, v2's are made, and every session gets a UUID; its host
            // label is the hostname it recorded.
            try db.execute(sql: "ALTER TABLE run RENAME TO run_v1")
            try db.execute(sql: "ALTER TABLE session RENAME TO session_v1")
            for statement in HistorySchema.statements(.sqlite) { try db.execute(sql: statement) }
            try db.execute(sql: "CREATE TEMP TABLE session_ids (old INTEGER PRIMARY KEY, new TEXT NOT NULL)")
            for old in try Int64.fetchAll(db, sql: "SELECT id FROM session_v1") {
                try db.execute(sql: "INSERT INTO session_ids VALUES (?, ?)", arguments: [old, HistorySchema.newSessionID()])
            }
            try db.execute(sql: """
                INSERT INTO session (id, host_label, started_at, finished_at, status, suite, command, isoprobe_version,
                  hostname, kernel, cpu_model, accelerator, runtime_versions, qemu_version, mitigations, host_json, method_json)
                SELECT m.new, s.hostname, s.started_at, s.finished_at, s.status, s.suite, s.command, s.isoprobe_version,
                  s.hostname, s.kernel, s.cpu_model, s.accelerator, s.runtime_versions, s.qemu_version, s.mitigations,
                  s.host_json, s.method_json
                FROM session_v1 s JOIN session_ids m ON m.old = s.id
                """)
            try db.execute(sql: """
                INSERT INTO run (session_id, seq, environment, workload, repetition, warmup, succeeded, exit_kind,
                  started_at, wall_ns, result_json)
                SELECT m.new, r.seq, r.environment, r.workload, r.repetition, r.warmup, r.succeeded,
                  COALESCE(json_extract(CAST(r.result_json AS TEXT), '$.exit.kind'), 'unknown'), r.started_at, r.wall_ns,
                  r.result_json
                FROM run_v1 r JOIN session_ids m ON m.old = r.session_id
                """)
            try db.execute(sql: "DROP TABLE session_ids")
            try db.execute(sql: "DROP TABLE run_v1")
            try db.execute(sql: "DROP TABLE session_v1")
        }
        return m
    }

    func schemaVersion() throws -> String? {
        try Self.reporting(path) { try queue.read { try Self.migrator.appliedIdentifiers($0).max() } }
    }

    @discardableResult func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try Self.reporting(path) { try queue.write { try body(Connection(db: $0)) } }
    }

    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try Self.reporting(path) { try queue.read { try body(Connection(db: $0)) } }
    }

    struct Connection: SQLConnection {
        let db: Database

        func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
            try db.execute(sql: sql, arguments: StatementArguments(arguments.map(Self.bound)))
            return db.changesCount
        }

        func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments.map(Self.bound))).map { row in
                var values: [String: SQLValue] = [:]
                for (column, value) in row {
                    switch value.storage {
                    case .null: values[column] = .null
                    case .int64(let i): values[column] = .integer(i)
                    case .double(let d): values[column] = .real(d)
                    case .string(let s): values[column] = .text(s)
                    case .blob(let b): values[column] = .blob(b)
                    }
                }
                return SQLRow(values: values)
            }
        }

        static func bound(_ value: SQLValue) -> DatabaseValueConvertible? {
            switch value {
            case .null: nil
            case .integer(let i): i
            case .real(let d): d
            case .text(let s): s
            case .blob(let b): b
            case .bool(let b): b
            case .date(let d): d
            }
        }
    }

    /// SQLite's errors as one line naming the database.
    static func reporting<T>(_ path: String, fix: String? = nil, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DatabaseError {
            throw IsoprobeError(.failed, "history database \(path): \(error.message ?? "\(error)")", fix: fix)
        }
    }
}
