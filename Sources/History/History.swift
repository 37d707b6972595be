import Foundation
import IsoprobeCore

/// Every `isoprobe run` as a session: the host's facts, the method, and each run's full
/// result, written as soon as the run finishes so that an interrupted suite keeps what it
/// finished. One interface over two databases with one schema (HistorySchema): an SQLite
/// file on this host, or a PostgreSQL database that many hosts share, each under its host
/// label.
public final class History {
    let database: SQLDatabase

    /// Where the history is, fit to print (no password).
    public var location: String { database.location }

    /// `migrating: false` opens the history as it is, for a look (doctor): an empty database
    /// stays empty and an older schema stays as it was.
    public init(_ where: HistoryLocation, migrating: Bool = true) throws {
        switch `where` {
        case .file(let path): database = try SQLiteDatabase(path: path, migrating: migrating)
        case .postgres(let url): database = try PostgresDatabase(url: url, migrating: migrating)
        }
    }

    public convenience init(path: String) throws { try self.init(.file(path)) }

    /// The SQLite file on this host: /var/lib/isoprobe/history.sqlite for root, else
    /// ~/.local/share/isoprobe/history.sqlite.
    public static var defaultLocalPath: String {
        if geteuid() == 0 { return "/var/lib/isoprobe/history.sqlite" }
        return (ProcessInfo.processInfo.environment["HOME"] ?? "/tmp") + "/.local/share/isoprobe/history.sqlite"
    }

    /// `$ISOPROBE_HISTORY`, else the local file.
    public static var defaultPath: String {
        if let path = ProcessInfo.processInfo.environment["ISOPROBE_HISTORY"], !path.isEmpty { return path }
        return defaultLocalPath
    }

    public var isShared: Bool { database.dialect == .postgres }

    /// False once a shared database stopped answering.
    public var isReachable: Bool { (database as? PostgresDatabase)?.isConnected ?? true }

    public func schemaVersion() throws -> String? { try database.schemaVersion() }

    // MARK: Writing

    /// Starts a session; its UUID is what `history`, `compare` and `export` take. `keptFor`
    /// names the shared database a session kept locally was meant for (`history push`).
    public func begin(id: String = HistorySchema.newSessionID(), hostLabel: String, host: HostFacts, command: [String],
                      suite: String? = nil, method: SummaryMethod? = nil, at date: Date = Date(),
                      keptFor: String? = nil) throws -> String {
        let enc = ResultDocument.encoder()
        let hostJSON = try enc.encode(host)
        let methodJSON = try method.map { try enc.encode($0) }
        try database.write { db in
            try db.execute("""
                INSERT INTO session (id, host_label, started_at, status, suite, command, isoprobe_version, hostname, kernel,
                  cpu_model, accelerator, runtime_versions, qemu_version, mitigations, host_json, method_json, kept_for)
                VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(id), .text(hostLabel), .date(date), SQLValue(suite), .text(Self.printable(command)),
                      .text(IsoprobeVersion.current), .text(host.hostname), .text(host.kernel), .text(host.cpuModel),
                      SQLValue(host.accelerator), SQLValue(Self.joined(host.runtimeVersions)), SQLValue(host.qemuVersion),
                      SQLValue(Self.joined(host.mitigations)), .blob(hostJSON), SQLValue(methodJSON), SQLValue(keptFor)])
        }
        return id
    }

    /// One finished run, committed at once. `seq` is its place in the session, counted by
    /// the writer: a run sent again is recognised and stored once.
    public func record(_ run: RunResult, session: String, seq: Int, warmup: Bool) throws {
        let json = try ResultDocument.encoder().encode(run)
        try database.write { db in
            try db.execute("""
                INSERT INTO run (session_id, seq, environment, workload, repetition, warmup, succeeded, exit_kind, started_at,
                  wall_ns, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (session_id, seq) DO NOTHING
                """, [.text(session), .integer(Int64(seq)), .text(run.environment), .text(run.workload.spec),
                      .integer(Int64(run.repetition)), .bool(warmup), .bool(run.exit.succeeded), .text(run.exit.kind),
                      .date(run.startedAt), .integer(Int64(clamping: run.wallNs)), .blob(json)])
        }
    }

    /// Closes a session with its final host facts (runtime and QEMU versions known by now).
    public func finish(_ session: String, status: SessionStatus, host: HostFacts, at date: Date = Date()) throws {
        let hostJSON = try ResultDocument.encoder().encode(host)
        try database.write { db in
            try db.execute("""
                UPDATE session SET finished_at = ?, status = ?, accelerator = ?, runtime_versions = ?,
                  qemu_version = ?, host_json = ? WHERE id = ?
                """, [.date(date), .text(status.rawValue), SQLValue(host.accelerator),
                      SQLValue(Self.joined(host.runtimeVersions)), SQLValue(host.qemuVersion), .blob(hostJSON), .text(session)])
        }
    }

    /// Marks a session whose isoprobe died abandoned, if it was still running and is this
    /// host label's: in a shared database, other hosts' sessions are theirs to judge.
    public func abandon(_ session: String, hostLabel: String, at date: Date = Date()) throws {
        try database.write { db in
            try db.execute("UPDATE session SET finished_at = ?, status = ? WHERE id = ? AND host_label = ? AND status = ?",
                           [.date(date), .text(SessionStatus.abandoned.rawValue), .text(session), .text(hostLabel),
                            .text(SessionStatus.running.rawValue)])
        }
    }

    // MARK: Reading

    /// Sessions matching `filter`, newest first, with counts of their runs.
    public func sessions(limit: Int = 50, filter: SessionFilter = SessionFilter()) throws -> [Session] {
        try database.read { db in
            let (clause, args) = filter.sql
            let rows = try db.query("SELECT * FROM session s WHERE \(clause) ORDER BY s.started_at DESC, s.id LIMIT ?",
                                    args + [.integer(Int64(limit))])
            guard !rows.isEmpty else { return [] }
            let ids = rows.compactMap { $0.string("id") }
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            let perEnvironment = try db.query("""
                SELECT session_id, environment,
                  SUM(CASE WHEN warmup THEN 0 ELSE 1 END) AS runs,
                  SUM(CASE WHEN NOT warmup AND NOT succeeded AND exit_kind <> 'interrupted' THEN 1 ELSE 0 END) AS failed
                FROM run WHERE session_id IN (\(marks)) GROUP BY session_id, environment ORDER BY environment
                """, ids.map(SQLValue.text))
            let workloads = try db.query("""
                SELECT session_id, COUNT(DISTINCT workload) AS workloads FROM run WHERE session_id IN (\(marks)) GROUP BY session_id
                """, ids.map(SQLValue.text))
            return rows.map { row in
                var s = Session(row: row)
                for e in perEnvironment where e.string("session_id") == s.id {
                    s.environments.append(e.string("environment") ?? "?")
                    s.runs += Int(e.int("runs") ?? 0)
                    s.failedRuns += Int(e.int("failed") ?? 0)
                }
                s.workloads = Int(workloads.first { $0.string("session_id") == s.id }?.int("workloads") ?? 0)
                return s
            }
        }
    }

    /// A session by UUID (or a unique start of one, 4 characters at least), or `latest` /
    /// `latest~N` (N sessions before the latest) among this host label's sessions.
    public func resolve(_ reference: String, hostLabel: String) throws -> String {
        let hint = "`isoprobe history` lists the runs"
        if reference == "latest" || reference.hasPrefix("latest~") {
            guard let back = reference == "latest" ? 0 : Int(reference.dropFirst(7)), back >= 0 else {
                throw IsoprobeError(.usage, "'\(reference)' is not a run: give an id from `isoprobe history`, latest or latest~N")
            }
            let id = try database.read { db in
                try db.queryOne("SELECT id FROM session WHERE host_label = ? ORDER BY started_at DESC, id LIMIT 1 OFFSET ?",
                                [.text(hostLabel), .integer(Int64(back))])?.string("id")
            }
            guard let id else {
                throw IsoprobeError(.usage, "the history \(location) has no run \(reference) for host label \(hostLabel)",
                                    fix: "\(hint); --host-label names another host's")
            }
            return id
        }
        let prefix = reference.lowercased()
        guard prefix.count >= 4, prefix.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw IsoprobeError(.usage, "'\(reference)' is not a run: give an id from `isoprobe history`, latest or latest~N")
        }
        let ids = try database.read { db in
            try db.query("SELECT id FROM session WHERE id LIKE ? LIMIT 2", [.text(prefix + "%")]).compactMap { $0.string("id") }
        }
        guard ids.count == 1 else {
            throw IsoprobeError(.usage, ids.isEmpty ? "no run \(reference) in the history \(location)"
                                : "'\(reference)' starts more than one run's id in the history \(location)",
                                fix: ids.isEmpty ? hint : "give more of the id")
        }
        return ids[0]
    }

    /// The session as a result document (warm-ups left out unless asked for).
    public func document(session id: String, includeWarmups: Bool = false) throws -> ResultDocument {
        let dec = ResultDocument.decoder()
        return try database.read { db in
            guard let row = try db.queryOne("SELECT * FROM session WHERE id = ?", [.text(id)]),
                  let hostData = row.data("host_json") else {
                throw IsoprobeError(.usage, "no run \(id) in the history \(location)", fix: "`isoprobe history` lists the runs")
            }
            let host = try decoding { try dec.decode(HostFacts.self, from: hostData) }
            let runs = try db.query("SELECT result_json FROM run WHERE session_id = ? AND (? OR NOT warmup) ORDER BY seq",
                                    [.text(id), .bool(includeWarmups)])
            return ResultDocument(host: host, runs: try runs.map { row in try decoding { try Self.run(row, dec) } },
                                  createdAt: row.date("started_at") ?? Date(), suite: row.string("suite"))
        }
    }

    public func method(session id: String) throws -> SummaryMethod? {
        try database.read { db in
            guard let data = try db.queryOne("SELECT method_json FROM session WHERE id = ?", [.text(id)])?.data("method_json")
            else { return nil }
            return try decoding { try ResultDocument.decoder().decode(SummaryMethod.self, from: data) }
        }
    }

    /// The measured runs (warm-ups left out) of every session matching `filter`, with the
    /// session they belong to: what `compare` between selections and the matrix read.
    public func sessionRuns(_ filter: SessionFilter, workload: String? = nil) throws -> [SessionRuns] {
        let dec = ResultDocument.decoder()
        return try database.read { db in
            let (clause, args) = filter.sql
            let sessions = try db.query("SELECT id, host_label, kernel, started_at FROM session s WHERE \(clause) ORDER BY s.started_at",
                                        args)
            return try sessions.map { s in
                let id = s.string("id") ?? ""
                var sql = "SELECT result_json FROM run WHERE session_id = ? AND NOT warmup"
                var runArgs: [SQLValue] = [.text(id)]
                if let workload {
                    sql += " AND workload = ?"
                    runArgs.append(.text(workload))
                }
                let runs = try db.query(sql + " ORDER BY seq", runArgs).map { row in try decoding { try Self.run(row, dec) } }
                return SessionRuns(id: id, hostLabel: s.string("host_label") ?? "", kernel: s.string("kernel") ?? "",
                                   startedAt: s.date("started_at") ?? Date(), runs: runs)
            }
        }
    }

    static func run(_ row: SQLRow, _ dec: JSONDecoder) throws -> RunResult {
        try dec.decode(RunResult.self, from: row.data("result_json") ?? Data())
    }

    /// Stored results that do not decode, as one line naming the database.
    func decoding<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DecodingError {
            throw IsoprobeError(.failed, "history database \(location): a stored result does not decode: \(ErrorWords.describe(error, snakeCase: true))",
                                fix: "it was written by another isoprobe version, or damaged; pass --db to use another database")
        }
    }

    static func joined(_ map: [String: String]?) -> String? {
        map.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
    }

    /// The command line as stored and shown: a database URL loses its password.
    static func printable(_ command: [String]) -> String {
        command.map { PostgresURL.isPostgres($0) ? PostgresURL.redacted($0) : $0 }.joined(separator: " ")
    }
}

/// Where the history is: what `--db` and `$ISOPROBE_HISTORY` name.
public enum HistoryLocation: Sendable, Equatable {
    case file(String)
    case postgres(PostgresURL)

    /// A postgres:// URL or a file path; any other URL is refused (nil).
    public init?(_ text: String) {
        if let url = PostgresURL(text) {
            self = .postgres(url)
        } else if text.firstMatch(of: #/^[A-Za-z][A-Za-z0-9+.\-]*:\/\//#) != nil {
            return nil
        } else {
            self = .file(text)
        }
    }

    public var printable: String {
        switch self {
        case .file(let path): path
        case .postgres(let url): url.printable
        }
    }
}

public enum SessionStatus: String, Sendable {
    case running, complete, interrupted, failed
    /// Its isoprobe was killed (SIGKILL, a crash, a reboot); a later one found it running.
    case abandoned
}

/// Which sessions: any of a host label, a kernel version, a time span, or sessions by id.
public struct SessionFilter: Sendable, Equatable {
    public var hostLabel: String?
    /// A release (6.12.0-1-amd64) or its start (6.12 takes 6.12.x and 6.12-...).
    public var kernel: String?
    public var since: Date?
    public var until: Date?
    public var sessions: [String]?

    public init(hostLabel: String? = nil, kernel: String? = nil, since: Date? = nil, until: Date? = nil,
                sessions: [String]? = nil) {
        self.hostLabel = hostLabel
        self.kernel = kernel
        self.since = since
        self.until = until
        self.sessions = sessions
    }

    var sql: (String, [SQLValue]) {
        var clauses = ["1 = 1"]
        var args: [SQLValue] = []
        if let hostLabel {
            clauses.append("s.host_label = ?")
            args.append(.text(hostLabel))
        }
        if let kernel {
            clauses.append("(s.kernel = ? OR s.kernel LIKE ? OR s.kernel LIKE ?)")
            args += [.text(kernel), .text(kernel + ".%"), .text(kernel + "-%")]
        }
        if let since {
            clauses.append("s.started_at >= ?")
            args.append(.date(since))
        }
        if let until {
            clauses.append("s.started_at < ?")
            args.append(.date(until))
        }
        if let sessions {
            clauses.append(sessions.isEmpty ? "1 = 0" : "s.id IN (\(Array(repeating: "?", count: sessions.count).joined(separator: ", ")))")
            args += sessions.map(SQLValue.text)
        }
        return (clauses.joined(separator: " AND "), args)
    }
}

/// The measured runs of one session, with where and when they ran.
public struct SessionRuns: Sendable {
    public var id: String
    public var hostLabel: String
    public var kernel: String
    public var startedAt: Date
    public var runs: [RunResult]
}

/// One line of `isoprobe history`.
public struct Session: Sendable, Equatable {
    public var id: String
    public var hostLabel: String
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
    public var keptFor: String?
    public var runs = 0
    public var failedRuns = 0
    public var environments: [String] = []
    public var workloads = 0

    init(row: SQLRow) {
        id = row.string("id") ?? ""
        hostLabel = row.string("host_label") ?? ""
        startedAt = row.date("started_at") ?? Date(timeIntervalSince1970: 0)
        finishedAt = row.date("finished_at")
        status = row.string("status") ?? ""
        suite = row.string("suite")
        command = row.string("command") ?? ""
        kernel = row.string("kernel") ?? ""
        cpuModel = row.string("cpu_model") ?? ""
        accelerator = row.string("accelerator")
        runtimeVersions = row.string("runtime_versions")
        qemuVersion = row.string("qemu_version")
        keptFor = row.string("kept_for")
    }
}
