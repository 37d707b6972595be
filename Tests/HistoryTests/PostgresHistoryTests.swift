import Foundation
import History
import IsoprobeCore
import Testing

/// What only a shared PostgreSQL history has to get right: a schema made once however many
/// hosts start at once, writers side by side, a server that is not there, passwords.
@Suite(.enabled(if: TestDatabases.postgresAvailable || TestDatabases.inCI, "\(TestDatabases.missing)"))
struct PostgresHistoryTests {
    /// Four hosts opening an empty database at the same moment: the schema is made once,
    /// and every one of them can write.
    @Test func schemaIsCreatedOnceOnAnEmptyDatabase() throws {
        let url = try TestDatabases.newPostgresDatabase()
        defer { TestDatabases.dropPostgresDatabase(url) }
        #expect(try TestDatabases.psql(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        let location = try #require(HistoryLocation(url))
        let errors = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            do {
                let history = try History(location)
                _ = try history.begin(hostLabel: "host-\(i)", host: HistoryTests.host, command: ["run"])
            } catch {
                errors.update { $0.append("\(error)") }
            }
        }
        #expect(errors.value.isEmpty, "\(errors.value)")
        #expect(try TestDatabases.psql(url, "SELECT string_agg(version, ',') FROM isoprobe_schema") == "v2")
        #expect(try TestDatabases.psql(url, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")
                == "isoprobe_schema,run,session")
        #expect(try TestDatabases.psql(url, "SELECT count(DISTINCT host_label) FROM session") == "4")
        #expect(try History(location).schemaVersion() == "v2")
    }

    /// Opened for a look (what doctor does), an empty database stays empty: no schema is
    /// made until a run writes.
    @Test func aLookLeavesAnEmptyDatabaseEmpty() throws {
        let url = try TestDatabases.newPostgresDatabase()
        defer { TestDatabases.dropPostgresDatabase(url) }
        let location = try #require(HistoryLocation(url))
        #expect(try History(location, migrating: false).schemaVersion() == nil)
        #expect(try TestDatabases.psql(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        _ = try History(location)
        #expect(try History(location, migrating: false).schemaVersion() == "v2")
    }

    /// A database a newer isoprobe migrated is refused in one line, not written to.
    @Test func aNewerSchemaIsRefused() throws {
        let url = try TestDatabases.newPostgresDatabase()
        defer { TestDatabases.dropPostgresDatabase(url) }
        let location = try #require(HistoryLocation(url))
        _ = try History(location)
        try TestDatabases.psql(url, "INSERT INTO isoprobe_schema (version) VALUES ('v9')")
        let error = try #require(throws: IsoprobeError.self) { try History(location) }
        #expect(error.description.contains("v9") && error.description.contains("newer"), "\(error)")
    }

    /// Two hosts writing runs at the same time, each on its own connection: every run is
    /// there once, under its host's label.
    @Test func twoWritersAtOnce() throws {
        let url = try TestDatabases.newPostgresDatabase()
        defer { TestDatabases.dropPostgresDatabase(url) }
        let location = try #require(HistoryLocation(url))
        let errors = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do {
                let history = try History(location)
                let id = try history.begin(hostLabel: "host-\(i)", host: HistoryTests.host, command: ["run"])
                for seq in 0..<50 {
                    try history.record(HistoryTests.run(seq % 2 == 0 ? "native" : "container", "getpid", rep: seq, wall: UInt64(seq)),
                                       session: id, seq: seq, warmup: false)
                }
                try history.finish(id, status: .complete, host: HistoryTests.host)
            } catch {
                errors.update { $0.append("\(error)") }
            }
        }
        #expect(errors.value.isEmpty, "\(errors.value)")
        let sessions = try History(location).sessions()
        #expect(Set(sessions.map(\.hostLabel)) == ["host-0", "host-1"])
        #expect(sessions.map(\.runs) == [50, 50])
        #expect(sessions.allSatisfy { $0.status == "complete" })
    }

    /// A server that is not there: one line naming the database without its password.
    @Test func anUnreachableServerIsOneLineWithoutThePassword() throws {
        let location = try #require(HistoryLocation("postgres://fleet:s3cret@127.0.0.1:1/isoprobe"))
        let error = try #require(throws: IsoprobeError.self) { try History(location) }
        let line = error.description
        #expect(line.contains("postgres://fleet@127.0.0.1:1/isoprobe") && line.contains("cannot be reached"), "\(line)")
        #expect(!line.contains("s3cret") && !line.contains("\n"), "\(line)")
    }

    /// A password in the URL is used, never stored: the session's command line and the
    /// location printed carry the URL without it.
    @Test func aPasswordInTheURLIsUsedButNotStored() throws {
        let url = try TestDatabases.newPostgresDatabase()
        defer { TestDatabases.dropPostgresDatabase(url) }
        let name = try #require(url.split(separator: "/").last)
        try TestDatabases.psql(url, "GRANT ALL ON SCHEMA public TO isoprobe_pw")
        let withPassword = url.replacingOccurrences(of: #"//[^@]*@"#, with: "//isoprobe_pw:isoprobe-test-secret@", options: .regularExpression)
        let history = try History(try #require(HistoryLocation(withPassword)))
        #expect(!history.location.contains("secret") && history.location.contains("isoprobe_pw@"))
        _ = try history.begin(hostLabel: "h", host: HistoryTests.host, command: ["isoprobe", "run", "--db", withPassword])
        let stored = try TestDatabases.psql(url, "SELECT command FROM session")
        #expect(stored == "isoprobe run --db \(withPassword.replacingOccurrences(of: ":isoprobe-test-secret", with: ""))")
        #expect(!stored.contains("secret") && stored.hasSuffix(String(name)))
        // Without the password there is no way in (so the test above did use it).
        let bare = withPassword.replacingOccurrences(of: ":isoprobe-test-secret", with: "")
        #expect(throws: IsoprobeError.self) { try History(try #require(HistoryLocation(bare))) }
    }

    /// The shared database away from the start: the session goes to the local file with one
    /// notice; once the server is there, push sends it.
    @Test func aSessionKeptLocallyWhenTheServerIsAwayIsPushedLater() throws {
        let url = try TestDatabases.newPostgresDatabase()
        defer { TestDatabases.dropPostgresDatabase(url) }
        let localPath = TestDatabases.temporaryFile()
        defer { TestDatabases.removeFile(localPath) }
        // The same database on a port nobody listens on, as a host sees it while the server is down.
        let away = try #require(HistoryLocation(url.replacingOccurrences(of: #":\d+/"#, with: ":1/", options: .regularExpression)))
        let notices = Locked<[String]>([])
        let writer = try SessionWriter(away, localPath: localPath, hostLabel: "web-1", host: HistoryTests.host,
                                       command: ["run"], suite: nil, method: nil) { line in notices.update { $0.append(line) } }
        for seq in 0..<3 { try writer.record(HistoryTests.run("native", "getpid", rep: seq, wall: 10), warmup: false) }
        try writer.finish(.complete, host: HistoryTests.host)
        #expect(writer.keptLocally)
        #expect(notices.value.count == 1)
        #expect(notices.value.first?.contains("history push") == true && notices.value.first?.contains(localPath) == true)

        let local = try History(.file(localPath))
        #expect(try local.keptSessions(for: away.printable) == [writer.id])
        // Sent to the database it was meant for, when it answers again (here: the same one on its port).
        let shared = try History(try #require(HistoryLocation(url)))
        #expect(try local.keptSessions(for: shared.location).isEmpty)
    }
}

/// A value several threads update.
final class Locked<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func update(_ body: (inout T) -> Void) { lock.withLock { body(&stored) } }
}
