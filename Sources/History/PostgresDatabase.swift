import CPostgres
import Foundation
import IsoprobeCore

/// The history in a shared PostgreSQL database, through PostgreSQL's own client library
/// (libpq). Credentials come from where libpq looks for them (~/.pgpass, PGPASSWORD, PGUSER,
/// ...); a password written in the URL is used, but never printed or stored.
final class PostgresDatabase: SQLDatabase {
    let url: PostgresURL
    var location: String { url.printable }
    var dialect: SQLDialect { .postgres }
    private var connection: OpaquePointer?
    private let lock = NSLock()

    /// Any one isoprobe migrates at a time: the key of a transaction-scoped advisory lock.
    static let migrationLock: Int64 = 0x6973_6f70_726f_6265 // "isoprobe"

    init(url: PostgresURL, migrating: Bool = true) throws {
        self.url = url
        try lock.withLock {
            try connect()
            if migrating { try migrate() }
        }
    }

    deinit { if let connection { PQfinish(connection) } }

    /// Whether the server answered the last statement: false after it went away.
    var isConnected: Bool { lock.withLock { connection.map { PQstatus($0) == CONNECTION_OK } ?? false } }

    private func connect() throws {
        // The URL may carry its own options; these only fill in what it leaves out.
        let keys = ["dbname", "connect_timeout", "application_name"]
        let values = [url.text, "5", "isoprobe"]
        let conn = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let reason = conn.map { Self.firstLine(PQerrorMessage($0)) } ?? "out of memory"
            if let conn { PQfinish(conn) }
            throw Self.unreachable(url, reason)
        }
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        connection = conn
        _ = try run("SET TIME ZONE 'UTC'", [])
    }

    static func unreachable(_ url: PostgresURL, _ reason: String) -> IsoprobeError {
        IsoprobeError(.failed, "history database \(url.printable) cannot be reached: \(reason)",
                      fix: "check that the server runs and that ~/.pgpass or PGPASSWORD holds the password")
    }

    /// Creates the schema on an empty database, one isoprobe at a time; refuses a database a
    /// newer isoprobe migrated past what this one knows.
    private func migrate() throws {
        try transaction {
            _ = try run("SELECT pg_advisory_xact_lock($1)", [.integer(Self.migrationLock)])
            _ = try run("""
                CREATE TABLE IF NOT EXISTS isoprobe_schema (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, [])
            let applied = try run("SELECT version FROM isoprobe_schema", []).rows.compactMap { $0.string("version") }
            if let unknown = applied.first(where: { !Self.migrations.map(\.version).contains($0) }) {
                throw IsoprobeError(.failed, "history database \(url.printable) has schema \(unknown), newer than this isoprobe's \(HistorySchema.current)",
                                    fix: "upgrade isoprobe on this host")
            }
            for migration in Self.migrations where !applied.contains(migration.version) {
                for statement in migration.statements { _ = try run(statement, []) }
                _ = try run("INSERT INTO isoprobe_schema (version) VALUES ($1)", [.text(migration.version)])
            }
        }
    }

    /// PostgreSQL's history began at the schema SQLite reached in "v2".
    static var migrations: [(version: String, statements: [String])] {
        [("v2", HistorySchema.statements(.postgres))]
    }

    /// nil on a database isoprobe has not written yet (opened without migrating).
    func schemaVersion() throws -> String? {
        try read { db in
            guard try db.query("SELECT to_regclass('isoprobe_schema')::text AS present", []).first?.string("present") != nil
            else { return nil }
            return try db.query("SELECT max(version) AS version FROM isoprobe_schema", []).first?.string("version")
        }
    }

    @discardableResult func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try lock.withLock { try transaction { try body(Statements(database: self)) } }
    }

    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try lock.withLock { try transaction { try body(Statements(database: self)) } }
    }

    /// BEGIN ... COMMIT, rolled back on an error. A connection the server dropped (it
    /// restarted) is reset once before anything is sent.
    private func transaction<T>(_ body: () throws -> T) throws -> T {
        if let connection, PQstatus(connection) != CONNECTION_OK {
            PQreset(connection)
            if PQstatus(connection) != CONNECTION_OK { throw Self.unreachable(url, Self.firstLine(PQerrorMessage(connection))) }
            _ = try run("SET TIME ZONE 'UTC'", [])
        }
        _ = try run("BEGIN", [])
        do {
            let value = try body()
            _ = try run("COMMIT", [])
            return value
        } catch {
            if let connection, PQstatus(connection) == CONNECTION_OK { _ = try? run("ROLLBACK", []) }
            throw error
        }
    }

    struct Outcome {
        var rows: [SQLRow]
        var changed: Int
    }

    /// One statement with `$n` parameters, sent as text; results come back as text and are
    /// typed by their column's type.
    fileprivate func run(_ sql: String, _ arguments: [SQLValue]) throws -> Outcome {
        guard let connection else { throw Self.unreachable(url, "not connected") }
        let texts: [String?] = arguments.map(Self.text)
        let result = withOptionalCStrings(texts) { values in
            PQexecParams(connection, sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            if PQstatus(connection) != CONNECTION_OK {
                throw Self.unreachable(url, Self.firstLine(PQerrorMessage(connection)))
            }
            let message = result.map { Self.firstLine(PQresultErrorMessage($0)) } ?? Self.firstLine(PQerrorMessage(connection))
            throw IsoprobeError(.failed, "history database \(url.printable): \(message)")
        }
        var rows: [SQLRow] = []
        let columns = Int32(PQnfields(result))
        let names = (0..<columns).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columns).map { PQftype(result, $0) }
        for r in 0..<PQntuples(result) {
            var values: [String: SQLValue] = [:]
            for c in 0..<columns {
                if PQgetisnull(result, r, c) != 0 { values[names[Int(c)]] = .null; continue }
                let text = String(cString: PQgetvalue(result, r, c))
                values[names[Int(c)]] = Self.value(text, type: types[Int(c)])
            }
            rows.append(SQLRow(values: values))
        }
        let changed = Int(String(cString: PQcmdTuples(result))) ?? 0
        return Outcome(rows: rows, changed: changed)
    }

    static func text(_ value: SQLValue) -> String? {
        switch value {
        case .null: nil
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .text(let s): s
        // The schema's only binary columns hold JSON (jsonb here).
        case .blob(let b): String(decoding: b, as: UTF8.self)
        case .bool(let b): b ? "t" : "f"
        case .date(let d): SQLDates.postgres(d)
        }
    }

    /// Type OIDs from pg_type: bool 16, int8 20, int2 21, int4 23, float4 700, float8 701,
    /// timestamp 1114, timestamptz 1184, numeric 1700.
    static func value(_ text: String, type: Oid) -> SQLValue {
        switch type {
        case 16: .bool(text == "t")
        case 20, 21, 23: Int64(text).map(SQLValue.integer) ?? .text(text)
        case 700, 701, 1700: Double(text).map(SQLValue.real) ?? .text(text)
        case 1114, 1184: SQLDates.parse(text).map(SQLValue.date) ?? .text(text)
        default: .text(text)
        }
    }

    static func firstLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        // The server's severity ("ERROR:  ", "FATAL:  ") says nothing a user acts on.
        return text.split(separator: "\n").first.map {
            String($0).replacingOccurrences(of: #"^(ERROR|FATAL|PANIC):  "#, with: "", options: .regularExpression)
        } ?? "unknown error"
    }

    /// History's statements use `?`; libpq numbers its parameters.
    struct Statements: SQLConnection {
        let database: PostgresDatabase

        func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
            try database.run(Self.numbered(sql), arguments).changed
        }

        func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
            try database.run(Self.numbered(sql), arguments).rows
        }

        /// `?` outside quotes becomes `$1`, `$2`, ...
        static func numbered(_ sql: String) -> String {
            var out = "", n = 0, quoted = false
            for ch in sql {
                if ch == "'" { quoted.toggle() }
                if ch == "?" && !quoted {
                    n += 1
                    out += "$\(n)"
                } else {
                    out.append(ch)
                }
            }
            return out
        }
    }
}

/// A postgres:// or postgresql:// URL, and the same without its password, for printing and
/// for anything stored.
public struct PostgresURL: Sendable, Equatable {
    public let text: String

    public init?(_ text: String) {
        guard Self.isPostgres(text) else { return nil }
        self.text = text
    }

    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// user:secret@host becomes user@host; a password=... option goes.
    public var printable: String { Self.redacted(text) }

    public static func redacted(_ text: String) -> String {
        var out = text
        if let scheme = out.range(of: "://") {
            let rest = out[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                out.removeSubrange(colon..<at)
            }
        }
        return out.replacing(#/([?&])password=[^&]*&?/#) { m in m.output.1 == "?" ? "?" : "&" }
            .replacing(#/[?&]$/#, with: "")
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings + [nil]) { body($0) }
}

/// C strings for libpq's arrays; nil stays NULL (an SQL null parameter, or the end of a list).
private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
