import Foundation
import History
import IsoprobeCore
import Testing

/// The databases the history tests write: a fresh SQLite file, or a fresh database on the
/// PostgreSQL server `make test` starts (scripts/test-postgres.sh; its URL in
/// ISOPROBE_TEST_POSTGRES). Without that server the PostgreSQL tests skip with one line,
/// or fail when CI=true.
enum TestDatabases {
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    static var serverURL: String? { ProcessInfo.processInfo.environment["ISOPROBE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 } }
    static var postgresAvailable: Bool { serverURL != nil }
    static let missing = "no PostgreSQL server for the tests: `make test` starts one (scripts/test-postgres.sh run ...), "
        + "which needs Debian's postgresql (make deps)"

    static func requirePostgres(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(serverURL, "\(missing)", sourceLocation: sourceLocation)
    }

    static func temporaryFile() -> String {
        let dir = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return "\(dir)/isoprobe-history-test-\(getpid())-\(UUID().uuidString.prefix(8))/history.sqlite"
    }

    static func removeFile(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    /// A new, empty database on the test server; its URL.
    static func newPostgresDatabase(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let server = try requirePostgres(sourceLocation: sourceLocation)
        let name = "isoprobe_test_\(getpid())_\(UUID().uuidString.prefix(8).lowercased())"
        try psql(server, "CREATE DATABASE \(name)")
        return server.replacingOccurrences(of: #"/[^/]*$"#, with: "/\(name)", options: .regularExpression)
    }

    static func dropPostgresDatabase(_ url: String) {
        guard let server = serverURL, let name = url.split(separator: "/").last else { return }
        _ = try? psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// psql's output (unaligned, tuples only), or a failure with its words.
    @discardableResult
    static func psql(_ url: String, _ sql: String, environment: [String: String]? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        p.arguments = [url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql]
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw IsoprobeError(.failed, "psql \(sql): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Each backend in turn, with a fresh database, removed afterwards.
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }

        var available: Bool { self == .sqlite || TestDatabases.postgresAvailable || TestDatabases.inCI }

        func withFresh<T>(sourceLocation: SourceLocation = #_sourceLocation, _ body: (HistoryLocation) throws -> T) throws -> T {
            switch self {
            case .sqlite:
                let path = TestDatabases.temporaryFile()
                defer { TestDatabases.removeFile(path) }
                return try body(.file(path))
            case .postgres:
                let url = try TestDatabases.newPostgresDatabase(sourceLocation: sourceLocation)
                defer { TestDatabases.dropPostgresDatabase(url) }
                return try body(HistoryLocation(url)!)
            }
        }
    }
}
