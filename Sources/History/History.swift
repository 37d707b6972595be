import Foundation
import GRDB
import IsoprobeCore

/// Every `isoprobe run` as a session in an embedded SQLite database: the host's facts, the
/// method, and each run's full result, written as soon as the run finishes so that an
/// interrupted suite keeps what it finished.
public final class History {
    public let path: String
    let db: DatabaseQueue

    /// `$ISOPROBE_HISTORY`, else /var/lib/isoprobe/history.sqlite for root, else
    /// ~/.local/share/isoprobe/history.sqlite.
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let path = env["ISOPROBE_HISTORY"], !path.isEmpty { return path }
        if geteuid() == 0 { return "/var/lib/isoprobe/history.sqlite" }
        return (env["HOME"] ?? "/tmp") + "/.local/share/isoprobe/history.sqlite"
    }

    public init(path: String = History.defaultPath) throws {
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
        // WAL lets readers (history, compare) go on while a suite writes its runs.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        db = try Self.reporting(path, fix: "pass --db PATH or set ISOPROBE_HISTORY to a writable SQLite file") {
            try Self.open(path, configuration: config)
        }
    }

    /// Switching a new database to WAL takes an exclusive lock, and SQLite answers a second
    /// process that asks for it at the same moment with SQLITE_BUSY at once, without its busy
    /// handler: the open is tried again for a while (10 s in all, like the busy timeout).
    static func open(_ path: String, configuration: Configuration) throws -> DatabaseQueue {
        let deadline = Date().addingTimeInterval(10)
        while true {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                try migrate(queue)
                return queue
            } catch let error as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode)
                        && Date() < deadline {
                usleep(useconds_t.random(in: 5_000...50_000))
            }
        }
    }

    /// Each migration commits or rolls back whole, but the migrator decides what to apply
    /// before its transaction starts: two processes opening a new database at once can both
    /// choose "v1", and the later one fails on a table the earlier one made. Its migration
    /// rolled back, so trying again sees "v1" applied and goes on.
    static func migrate(_ queue: DatabaseQueue, attempts: Int = 5) throws {
        for attempt in 1... {
            do {
                return try migrator.migrate(queue)
            } catch is DatabaseError where attempt < attempts {
                if try queue.read({ try migrator.hasCompletedMigrations($0) }) { return }
            }
        }
    }

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
        return m
    }

    // MARK: Writing

    /// Starts a session; its id is what `history`, `compare` and `export` take.
    public func begin(host: HostFacts, command: [String], suite: String? = nil,
                      method: SummaryMethod? = nil, at date: Date = Date()) throws -> Int64 {
        let enc = ResultDocument.encoder()
        let hostJSON = try enc.encode(host)
        let methodJSON = try method.map { try enc.encode($0) }
        return try write { db in
            try db.execute(sql: """
                INSERT INTO session (started_at, status, suite, command, isoprobe_version, hostname, kernel,
                  cpu_model, accelerator, runtime_versions, qemu_version, mitigations, host_json, method_json)
                VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [date, suite, command.joined(separator: " "), IsoprobeVersion.current,
                                 host.hostname, host.kernel, host.cpuModel, host.accelerator,
                                 Self.joined(host.runtimeVersions), host.qemuVersion,
                                 Self.joined(host.mitigations), hostJSON, methodJSON])
            return db.lastInsertedRowID
        }
    }

    /// One finished run, committed at once.
    public func record(_ run: RunResult, session: Int64, warmup: Bool) throws {
        let json = try ResultDocument.encoder().encode(run)
        try write { db in
            let seq = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE session_id = ?", arguments: [session]) ?? 0
            try db.execute(sql: """
                INSERT INTO run (session_id, seq, environment, workload, repetition, warmup, succeeded, started_at,
                  wall_ns, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [session, seq, run.environment, run.workload.spec, run.repetition, warmup,
                                 run.exit.succeeded, run.startedAt, Int64(clamping: run.wallNs), json])
        }
    }

    /// Closes a session with its final host facts (runtime and QEMU versions known by now).
    public func finish(_ session: Int64, status: SessionStatus, host: HostFacts, at date: Date = Date()) throws {
        let enc = ResultDocument.encoder()
        let hostJSON = try enc.encode(host)
        try write { db in
            try db.execute(sql: """
                UPDATE session SET finished_at = ?, status = ?, accelerator = ?, runtime_versions = ?,
                  qemu_version = ?, host_json = ? WHERE id = ?
                """, arguments: [date, status.rawValue, host.accelerator, Self.joined(host.runtimeVersions),
                                 host.qemuVersion, hostJSON, session])
        }
    }

    /// Marks a session whose isoprobe died abandoned, if it was still running; finished runs stay.
    public func abandon(_ session: Int64, at date: Date = Date()) throws {
        try write { db in
            try db.execute(sql: "UPDATE session SET finished_at = ?, status = ? WHERE id = ? AND status = ?",
                           arguments: [date, SessionStatus.abandoned.rawValue, session, SessionStatus.running.rawValue])
        }
    }

    // MARK: Reading

    public func sessions(limit: Int = 50) throws -> [Session] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.*, (SELECT COUNT(*) FROM run r WHERE r.session_id = s.id AND NOT r.warmup) AS runs,
                  (SELECT COUNT(*) FROM run r WHERE r.session_id = s.id AND NOT r.warmup AND NOT r.succeeded
                    AND json_extract(CAST(r.result_json AS TEXT), '$.exit.kind') IS NOT 'interrupted') AS failed,
                  (SELECT GROUP_CONCAT(DISTINCT r.environment) FROM run r WHERE r.session_id = s.id) AS envs,
                  (SELECT COUNT(DISTINCT r.workload) FROM run r WHERE r.session_id = s.id) AS workloads
                FROM session s ORDER BY s.id DESC LIMIT ?
                """, arguments: [limit]).map(Session.init(row:))
        }
    }

    /// A session by id, or `latest` / `latest~N` (N sessions before the latest).
    public func resolve(_ reference: String) throws -> Int64 {
        if let id = Int64(reference) {
            guard try read({ try Bool.fetchOne($0, sql: "SELECT 1 FROM session WHERE id = ?", arguments: [id]) }) != nil
            else { throw IsoprobeError(.usage, "no run \(id) in the history \(path)", fix: "`isoprobe history` lists the runs") }
            return id
        }
        var back = 0
        if reference == "latest" { back = 0 } else if reference.hasPrefix("latest~"), let n = Int(reference.dropFirst(7)), n >= 0 {
            back = n
        } else {
            throw IsoprobeError(.usage, "'\(reference)' is not a run: give a number from `isoprobe history`, latest or latest~N")
        }
        guard let id = try read({
            try Int64.fetchOne($0, sql: "SELECT id FROM session ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [back])
        }) else {
            throw IsoprobeError(.usage, "the history \(path) has no run \(reference)", fix: "`isoprobe history` lists the runs")
        }
        return id
    }

    /// The session as a result document (warm-ups left out unless asked for).
    public func document(session id: Int64, includeWarmups: Bool = false) throws -> ResultDocument {
        let dec = ResultDocument.decoder()
        return try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM session WHERE id = ?", arguments: [id]) else {
                throw IsoprobeError(.usage, "no run \(id) in the history \(path)", fix: "`isoprobe history` lists the runs")
            }
            let host = try dec.decode(HostFacts.self, from: row["host_json"] as Data)
            let blobs = try Data.fetchAll(db, sql: """
                SELECT result_json FROM run WHERE session_id = ? AND (? OR NOT warmup) ORDER BY seq
                """, arguments: [id, includeWarmups])
            let runs = try blobs.map { try dec.decode(RunResult.self, from: $0) }
            return ResultDocument(host: host, runs: runs, createdAt: row["started_at"], suite: row["suite"])
        }
    }

    public func method(session id: Int64) throws -> SummaryMethod? {
        try read { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT method_json FROM session WHERE id = ?", arguments: [id])
            else { return nil }
            return try ResultDocument.decoder().decode(SummaryMethod.self, from: data)
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T { try Self.reporting(path) { try db.read(body) } }

    private func write<T>(_ body: (Database) throws -> T) throws -> T { try Self.reporting(path) { try db.write(body) } }

    /// SQLite's errors, and stored results that do not decode, as one line naming the database.
    private static func reporting<T>(_ path: String, fix: String? = nil, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DatabaseError {
            throw IsoprobeError(.failed, "history database \(path): \(error.message ?? "\(error)")", fix: fix)
        } catch let error as DecodingError {
            throw IsoprobeError(.failed, "history database \(path): a stored result does not decode: \(ErrorWords.describe(error, snakeCase: true))",
                                fix: "it was written by another isoprobe version, or damaged; pass --db to use another database")
        }
    }

    static func joined(_ map: [String: String]?) -> String? {
        map.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
    }
}

public enum SessionStatus: String, Sendable {
    case running, complete, interrupted, failed
    /// Its isoprobe was killed (SIGKILL, a crash, a reboot); a later one found it running.
    case abandoned
}

/// One line of `isoprobe history`.
public struct Session: Sendable, Equatable {
    public var id: Int64
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: String
    public var suite: String?
    public var command: String
    public var kernel: String
    public var cpuModel: String
    public var accelerator: String?
    public var runtimeVersions: String?
    public var qemuVersion: String?
    public var runs: Int
    public var failedRuns: Int
    public var environments: [String]
    public var workloads: Int

    init(row: Row) {
        id = row["id"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
        status = row["status"]
        suite = row["suite"]
        command = row["command"]
        kernel = row["kernel"]
        cpuModel = row["cpu_model"]
        accelerator = row["accelerator"]
        runtimeVersions = row["runtime_versions"]
        qemuVersion = row["qemu_version"]
        runs = row["runs"]
        failedRuns = row["failed"]
        environments = (row["envs"] as String?)?.split(separator: ",").map(String.init) ?? []
        workloads = row["workloads"]
    }
}
