import Foundation
import Host
import Testing

@Suite struct ResourceLedgerTests {
    static func stateDirectory() -> String {
        NSTemporaryDirectory() + "isoprobe-ledger-test-\(getpid())-\(UUID().uuidString.prefix(8))"
    }

    static func records(_ state: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: state + "/owners")) ?? []).sorted()
    }

    @Test func aRecordListsWhatIsHeldAndGoesWhenNothingIs() throws {
        let state = Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let ledger = ResourceLedger(stateDirectory: state)
        let a = ledger.record(.directory(path: "/nonexistent/a"))
        let b = ledger.record(.cgroup(path: "/nonexistent/cg"))
        let me = try #require(ResourceLedger.Owner.current)
        #expect(Self.records(state) == [me.fileName])
        let file = state + "/owners/" + me.fileName
        #expect(ResourceLedger.holdings(in: file) == [.directory(path: "/nonexistent/a"), .cgroup(path: "/nonexistent/cg")])
        ledger.release(a)
        #expect(ResourceLedger.holdings(in: file) == [.cgroup(path: "/nonexistent/cg")])
        // A live owner's record is never anyone else's to sweep.
        #expect(ResourceLedger.abandoned(in: state).isEmpty)
        ledger.release(b)
        #expect(Self.records(state).isEmpty, "the record stays after the last release")
    }

    /// A dead owner's folder and process are released; a damaged line is skipped; the record goes.
    @Test func aDeadOwnersHoldingsAreReleased() throws {
        let state = Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        try FileManager.default.createDirectory(atPath: state + "/owners", withIntermediateDirectories: true)
        let folder = state + "/left-folder"
        try FileManager.default.createDirectory(atPath: folder + "/inside", withIntermediateDirectories: true)
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { if sleeper.isRunning { kill(sleeper.processIdentifier, SIGKILL) } }
        let pid = sleeper.processIdentifier
        let start = try #require(ProcFS.stat(of: pid)?.starttime)

        // pid 0x7ffffff0 runs nothing: the owner is dead.
        let dead = ResourceLedger.Owner(pid: 0x7fff_fff0, startTime: 1)
        let encoder = JSONEncoder()
        var text = Data()
        for line in [ResourceLedger.Line(add: 1, what: .directory(path: folder)),
                     ResourceLedger.Line(add: 2, what: .process(pid: pid, startTime: start)),
                     ResourceLedger.Line(add: 3, what: .historySession(database: "/x.sqlite", session: "5f0c", hostLabel: "h")),
                     ResourceLedger.Line(add: 4, what: .directory(path: "/released/already")),
                     ResourceLedger.Line(done: 4)] {
            text += try encoder.encode(line) + Data([10])
        }
        text += Data("{\"add\": 5, \"what\": {\"dire".utf8)
        try text.write(to: URL(fileURLWithPath: state + "/owners/" + dead.fileName))

        let found = ResourceLedger.abandoned(in: state)
        #expect(found.map(\.owner) == [dead])
        #expect(found.first?.holdings.count == 3)
        var sessions: [String] = []
        ResourceLedger.sweep(in: state) { _, id, label in sessions.append("\(id) of \(label ?? "?")") }
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal && sleeper.terminationStatus == SIGKILL,
                "the dead owner's process was not killed")
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(sessions == ["5f0c of h"])
        #expect(Self.records(state).isEmpty)
    }

    /// A pid reused by another process is not the recorded one: it is left alone.
    @Test func aReusedPidIsNotKilled() throws {
        let state = Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        try FileManager.default.createDirectory(atPath: state + "/owners", withIntermediateDirectories: true)
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { kill(sleeper.processIdentifier, SIGKILL); sleeper.waitUntilExit() }
        let pid = sleeper.processIdentifier
        let start = try #require(ProcFS.stat(of: pid)?.starttime)
        let line = try JSONEncoder().encode(ResourceLedger.Line(add: 1, what: .process(pid: pid, startTime: start + 1)))
        try (line + Data([10])).write(to: URL(fileURLWithPath: state + "/owners/2147483632-1.jsonl"))
        ResourceLedger.sweep(in: state)
        #expect(sleeper.isRunning, "a process with the recorded pid but another start time was killed")
    }

    @Test func aSummaryCountsByKind() {
        #expect(ResourceLedger.summary([.cgroup(path: "a"), .directory(path: "b"), .cgroup(path: "c")])
                == "2 cgroups, 1 folder")
    }
}
