import Foundation
import History
import IsoprobeCore
import Testing

@Suite struct HistoryTests {
    static func temporaryDatabase() -> String {
        let dir = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return "\(dir)/isoprobe-history-test-\(getpid())-\(UUID().uuidString.prefix(8))/history.sqlite"
    }

    static func removeDatabase(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    static let host = HostFacts(hostname: "h", kernel: "6.18.0", architecture: "x86_64", cpuModel: "cpu", cpus: 2,
                                memoryBytes: 1 << 34, cgroupLayout: "hybrid", clocksource: "tsc")

    static func run(_ env: String, _ spec: String, rep: Int, wall: UInt64, code: Int32 = 0) -> RunResult {
        RunResult(environment: env, workload: WorkloadDescription(spec: spec, name: spec, parameters: [:], command: []),
                  repetition: rep, startedAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(rep)),
                  wallNs: wall, cpuUserNs: 1, cpuSystemNs: 2,
                  exit: ExitDescription(kind: "exited", code: code, signal: nil, description: "exited \(code)"),
                  workloadReport: nil, target: TargetDescription(cgroupPath: "/x", cgroupId: 1, cgroupLevel: 1),
                  probes: [], syscalls: [], sched: nil, memory: nil)
    }

    @Test func sessionsKeepRunsHostFactsAndWarmupsApart() throws {
        let path = Self.temporaryDatabase()
        defer { Self.removeDatabase(path) }
        let history = try History(path: path)
        var host = Self.host
        host.mitigations = ["spectre_v2": "Mitigation: Retpolines"]
        let method = SummaryMethod(repetitions: 2, warmups: 1, order: "interleaved")
        let id = try history.begin(host: host, command: ["isoprobe", "run", "--suite", "s.toml"], suite: "s.toml",
                                   method: method)
        try history.record(Self.run("native", "getpid", rep: 0, wall: 999), session: id, warmup: true)
        try history.record(Self.run("native", "getpid", rep: 1, wall: 100), session: id, warmup: false)
        try history.record(Self.run("container", "getpid", rep: 1, wall: 120, code: 1), session: id, warmup: false)
        // Interrupted is not failed.
        var interrupted = Self.run("native", "getpid", rep: 2, wall: 50)
        interrupted.exit = ExitDescription(kind: "interrupted", code: nil, signal: 9, description: "stopped")
        try history.record(interrupted, session: id, warmup: false)
        host.runtimeVersions = ["runc": "1.1.5"]
        host.accelerator = "tcg"
        try history.finish(id, status: .complete, host: host)

        // A second handle sees what the first committed: nothing waits for a clean exit.
        let reopened = try History(path: path)
        let doc = try reopened.document(session: id)
        #expect(doc.runs.map(\.wallNs) == [100, 120, 50])
        #expect(doc.suite == "s.toml")
        #expect(doc.host.runtimeVersions == ["runc": "1.1.5"])
        #expect(doc.host.mitigations?["spectre_v2"] == "Mitigation: Retpolines")
        #expect(try reopened.document(session: id, includeWarmups: true).runs.count == 4)
        #expect(try reopened.method(session: id) == method)

        let sessions = try reopened.sessions()
        #expect(sessions.count == 1)
        let s = try #require(sessions.first)
        #expect(s.status == "complete")
        #expect(s.runs == 3)
        #expect(s.failedRuns == 1)
        #expect(Set(s.environments) == ["native", "container"])
        #expect(s.accelerator == "tcg")
        #expect(s.runtimeVersions == "runc=1.1.5")
    }

    @Test func referencesResolveByNumberAndFromTheLatest() throws {
        let path = Self.temporaryDatabase()
        defer { Self.removeDatabase(path) }
        let history = try History(path: path)
        let a = try history.begin(host: Self.host, command: ["a"])
        let b = try history.begin(host: Self.host, command: ["b"])
        #expect(try history.resolve("latest") == b)
        #expect(try history.resolve("latest~1") == a)
        #expect(try history.resolve("\(a)") == a)
        #expect(throws: IsoprobeError.self) { try history.resolve("latest~2") }
        #expect(throws: IsoprobeError.self) { try history.resolve("99") }
        #expect(throws: IsoprobeError.self) { try history.resolve("yesterday") }
        // A session that never finished (the process was killed) stays listed as running.
        #expect(try history.sessions().map(\.status) == ["running", "running"])
    }

    @Test func anUnwritableLocationIsOneClearError() throws {
        let error = try #require(throws: IsoprobeError.self) { try History(path: "/proc/isoprobe/history.sqlite") }
        #expect("\(error)".contains("history"))
    }
}
