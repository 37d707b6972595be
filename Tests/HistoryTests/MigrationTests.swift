import Foundation
import GRDB
@testable import History
import IsoprobeCore
import Testing

/// A history file of the previous schema ("v1": integer ids, one host), as the isoprobe
/// before the shared history wrote it, opened by this one.
@Suite struct MigrationTests {
    @Test func aVersionOneFileMovesToUUIDsWithItsRunsAndHostFacts() throws {
        let path = TestDatabases.temporaryFile()
        defer { TestDatabases.removeFile(path) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let enc = ResultDocument.encoder()
        var host = HistoryTests.host
        host.hostname = "old-box"
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteDatabase.migrate(queue, upTo: "v1")
            try queue.write { db in
                for (n, status) in ["complete", "interrupted"].enumerated() {
                    // The statements v1's begin and record ran.
                    try db.execute(sql: """
                        INSERT INTO session (started_at, status, suite, command, isoprobe_version, hostname, kernel,
                          cpu_model, accelerator, runtime_versions, qemu_version, mitigations, host_json, method_json)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [Date(timeIntervalSince1970: 1_700_000_000 + Double(n) * 60), status, "s.toml", "isoprobe run",
                                         "0.9", host.hostname, host.kernel, host.cpuModel, "tcg", "runc=1.1.5", nil, nil,
                                         try enc.encode(host), nil])
                    let session = db.lastInsertedRowID
                    for seq in 0..<3 {
                        var run = HistoryTests.run("native", "getpid", rep: seq, wall: UInt64(100 + 10 * n + seq))
                        if status == "interrupted" && seq == 2 {
                            run.exit = ExitDescription(kind: "interrupted", code: nil, signal: 2, description: "stopped")
                        }
                        try db.execute(sql: """
                            INSERT INTO run (session_id, seq, environment, workload, repetition, warmup, succeeded, started_at,
                              wall_ns, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, arguments: [session, seq, run.environment, run.workload.spec, run.repetition, seq == 0,
                                             run.exit.succeeded, run.startedAt, Int64(run.wallNs), try enc.encode(run)])
                    }
                }
            }
        }

        let history = try History(path: path)
        #expect(try history.schemaVersion() == "v2")
        let sessions = try history.sessions()
        #expect(sessions.count == 2)
        #expect(sessions.allSatisfy { UUID(uuidString: $0.id) != nil && $0.hostLabel == "old-box" })
        #expect(sessions.map(\.status) == ["interrupted", "complete"])
        #expect(sessions.map(\.runs) == [2, 2])
        // The interrupted run is not counted as failed: its exit kind moved into its column.
        #expect(sessions.map(\.failedRuns) == [0, 0])
        let latest = try history.resolve("latest", hostLabel: "old-box")
        #expect(try history.document(session: latest).runs.map(\.wallNs) == [111, 112])
        #expect(try history.document(session: latest, includeWarmups: true).runs.count == 3)
        #expect(try history.document(session: history.resolve("latest~1", hostLabel: "old-box")).host.hostname == "old-box")
        // New runs go on in the migrated file.
        let id = try history.begin(hostLabel: "old-box", host: host, command: ["isoprobe", "run"])
        try history.record(HistoryTests.run("native", "getpid", rep: 1, wall: 7), session: id, seq: 0, warmup: false)
        #expect(try history.document(session: id).runs.map(\.wallNs) == [7])
    }
}
