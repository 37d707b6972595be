import Foundation

/// A value bound to or read from a statement, the same for SQLite and PostgreSQL: History
/// writes its queries once, and each backend maps these to its own types.
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case bool(Bool)
    case date(Date)

    init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    init(_ data: Data?) { self = data.map(SQLValue.blob) ?? .null }
}

/// One row of a result, by column name.
struct SQLRow {
    var values: [String: SQLValue]

    subscript(_ column: String) -> SQLValue { values[column] ?? .null }

    func string(_ column: String) -> String? {
        switch self[column] {
        case .text(let s): s
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .blob(let d): String(decoding: d, as: UTF8.self)
        case .bool(let b): b ? "true" : "false"
        case .date(let d): SQLDates.iso.string(from: d)
        case .null: nil
        }
    }

    func int(_ column: String) -> Int64? {
        switch self[column] {
        case .integer(let i): i
        case .real(let d): Int64(d)
        case .text(let s): Int64(s)
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    func bool(_ column: String) -> Bool? {
        switch self[column] {
        case .bool(let b): b
        case .integer(let i): i != 0
        case .text(let s): ["t", "true", "1"].contains(s)
        default: nil
        }
    }

    func data(_ column: String) -> Data? {
        switch self[column] {
        case .blob(let d): d
        case .text(let s): Data(s.utf8)
        default: nil
        }
    }

    func date(_ column: String) -> Date? {
        switch self[column] {
        case .date(let d): d
        case .text(let s): SQLDates.parse(s)
        case .real(let d): Date(timeIntervalSince1970: d)
        default: nil
        }
    }
}

/// What History needs of a database: statements with `?` parameters, each call in one
/// transaction. SQLite (GRDB) and PostgreSQL (libpq) conform.
protocol SQLDatabase: AnyObject {
    /// Where it is, fit to print: a file path, or a URL without its password.
    var location: String { get }
    var dialect: SQLDialect { get }
    /// The last migration applied, nil on a database isoprobe never opened.
    func schemaVersion() throws -> String?
    @discardableResult func write<T>(_ body: (SQLConnection) throws -> T) throws -> T
    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T
}

protocol SQLConnection {
    /// Runs a statement; returns the number of rows it changed.
    @discardableResult func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
}

extension SQLConnection {
    func queryOne(_ sql: String, _ arguments: [SQLValue]) throws -> SQLRow? { try query(sql, arguments).first }
}

/// The column types that differ between the two: the schema is written once with these.
enum SQLDialect: Sendable {
    case sqlite, postgres

    var timestamp: String { self == .sqlite ? "DATETIME" : "TIMESTAMPTZ" }
    var json: String { self == .sqlite ? "BLOB" : "JSONB" }
    var boolean: String { "BOOLEAN" }
    var bigint: String { self == .sqlite ? "INTEGER" : "BIGINT" }
}

/// Timestamps as both databases print them: GRDB's "2026-12-05 15:04:07.123" (UTC) and
/// PostgreSQL's "2026-12-05 15:04:07.123+00" (the session's time zone is UTC).
enum SQLDates {
    static let iso: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()

    private static func formatter(_ format: String) -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = format
        return f
    }

    private static let withFraction = formatter("yyyy-MM-dd HH:mm:ss.SSSSSS")
    private static let whole = formatter("yyyy-MM-dd HH:mm:ss")
    private static let day = formatter("yyyy-MM-dd")

    /// What PostgreSQL takes as a timestamptz parameter.
    static func postgres(_ date: Date) -> String {
        withFraction.string(from: date) + "+00"
    }

    static func parse(_ text: String) -> Date? {
        var s = text
        if s.hasSuffix("+00") { s.removeLast(3) } else if s.hasSuffix("Z") { s.removeLast() }
        s = s.replacingOccurrences(of: "T", with: " ")
        if let dot = s.firstIndex(of: ".") {
            // Fractions of any length up to microseconds.
            let fraction = s[s.index(after: dot)...]
            let padded = String(s[..<dot]) + "." + (fraction + String(repeating: "0", count: max(0, 6 - fraction.count))).prefix(6)
            return withFraction.date(from: padded)
        }
        return whole.date(from: s) ?? day.date(from: s)
    }
}
