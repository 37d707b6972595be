import Foundation
import History
import IsoprobeCore
import Testing

/// Both backends, through the one interface: what is written is read back the same.
@Suite struct HistoryTests {
    static let host = HostFacts(hostname: "h", kernel: "6.18.0", architecture: "x86_64", cpuModel: "cpu", cpus: 2,
                                memoryBytes: 1 << 34, cgroupLayout: "hybrid", clocksource: "tsc")

    static var backends: [TestDatabases.Backend] { TestDatabases.Backend.allCases.filter(\.available) }

    static func run(_ env: String, _ spec: String, rep: Int, wall: UInt64, code: Int32 = 0, nsPerOp: Double? = nil) -> RunResult {
        RunResult(environment: env, workload: WorkloadDescription(spec: spec, name: spec, parameters: [:], command: []),
                  repetition: rep, startedAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(rep)),
                  wallNs: wall, cpuUserNs: 1, cpuSystemNs: 2,
                  exit: ExitDescription(kind: "exited", code: code, signal: nil, description: "exited \(code)"),
                  workloadReport: nil, target: TargetDescription(cgroupPath: "/x", cgroupId: 1, cgroupLevel: 1),
                  probes: [], syscalls: [], sched: nil, memory: nil)
    }

    @Test(arguments: backends)
    func sessionsKeepRunsHostFactsAndWarmupsApart(_ backend: TestDatabases.Backend) throws {
        try backend.withFresh { location in
            let history = try History(location)
            #expect(try history.schemaVersion() == HistorySchema.current)
            var host = Self.host
            host.mitigations = ["spectre_v2": "Mitigation: Retpolines"]
            let method = SummaryMethod(repetitions: 2, warmups: 1, order: "interleaved")
            let id = try history.begin(hostLabel: "web-1", host: host, command: ["isoprobe", "run", "--suite", "s.toml"],
                                       suite: "s.toml", method: method)
            #expect(UUID(uuidString: id) != nil)
            try history.record(Self.run("native", "getpid", rep: 0, wall: 999), session: id, seq: 0, warmup: true)
            try history.record(Self.run("native", "getpid", rep: 1, wall: 100), session: id, seq: 1, warmup: false)
            try history.record(Self.run("container", "getpid", rep: 1, wall: 120, code: 1), session: id, seq: 2, warmup: false)
            // Interrupted is not failed.
            var interrupted = Self.run("native", "getpid", rep: 2, wall: 50)
            interrupted.exit = ExitDescription(kind: "interrupted", code: nil, signal: 9, description: "stopped")
            try history.record(interrupted, session: id, seq: 3, warmup: false)
            // A run sent again is stored once.
            try history.record(interrupted, session: id, seq: 3, warmup: false)
            host.runtimeVersions = ["runc": "1.1.5"]
            host.accelerator = "tcg"
            try history.finish(id, status: .complete, host: host)

            // A second handle sees what the first committed: nothing waits for a clean exit.
            let reopened = try History(location)
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
            #expect(s.id == id && s.hostLabel == "web-1")
            #expect(s.status == "complete")
            #expect(s.runs == 3)
            #expect(s.failedRuns == 1)
            #expect(Set(s.environments) == ["native", "container"])
            #expect(s.workloads == 1)
            #expect(s.accelerator == "tcg")
            #expect(s.runtimeVersions == "runc=1.1.5")
        }
    }

    /// latest and latest~N count this host label's sessions only; ids resolve from a
    /// unique start; abandoning touches only this host label's running sessions.
    @Test(arguments: backends)
    func referencesAndAbandoningAreScopedToTheHostLabel(_ backend: TestDatabases.Backend) throws {
        try backend.withFresh { location in
            let history = try History(location)
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            let a = try history.begin(hostLabel: "web-1", host: Self.host, command: ["a"], at: t0)
            let other = try history.begin(hostLabel: "web-2", host: Self.host, command: ["o"], at: t0.addingTimeInterval(1))
            let b = try history.begin(hostLabel: "web-1", host: Self.host, command: ["b"], at: t0.addingTimeInterval(2))
            #expect(try history.resolve("latest", hostLabel: "web-1") == b)
            #expect(try history.resolve("latest~1", hostLabel: "web-1") == a)
            #expect(try history.resolve("latest", hostLabel: "web-2") == other)
            #expect(try history.resolve(String(a.prefix(8)), hostLabel: "anyone") == a)
            #expect(try history.resolve(a.uppercased(), hostLabel: "anyone") == a)
            #expect(throws: IsoprobeError.self) { try history.resolve("latest~2", hostLabel: "web-1") }
            #expect(throws: IsoprobeError.self) { try history.resolve("latest", hostLabel: "web-3") }
            #expect(throws: IsoprobeError.self) { try history.resolve("99", hostLabel: "web-1") }
            #expect(throws: IsoprobeError.self) { try history.resolve("yesterday", hostLabel: "web-1") }

            // web-1's sweeper finds web-2's session in its ledger (it cannot, but say it did): untouched.
            try history.abandon(other, hostLabel: "web-1")
            try history.abandon(a, hostLabel: "web-1")
            let status = Dictionary(uniqueKeysWithValues: try history.sessions().map { ($0.id, $0.status) })
            #expect(status == [a: "abandoned", other: "running", b: "running"])
        }
    }

    /// history --host --kernel --since --until.
    @Test(arguments: backends)
    func fleetFiltersSelectByHostKernelAndTime(_ backend: TestDatabases.Backend) throws {
        try backend.withFresh { location in
            let history = try History(location)
            let day = 86_400.0
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            var ids: [String: String] = [:]
            for (i, (label, kernel)) in [("amd-1", "6.6.60-amd64"), ("amd-1", "6.12.3-amd64"), ("amd-2", "6.12.9"),
                                         ("intel-1", "6.120.1")].enumerated() {
                var host = Self.host
                host.kernel = kernel
                ids["\(label) \(kernel)"] = try history.begin(hostLabel: label, host: host, command: ["x"],
                                                              at: t0.addingTimeInterval(Double(i) * day))
            }
            let names = { (f: SessionFilter) in Set(try history.sessions(filter: f).map { "\($0.hostLabel) \($0.kernel)" }) }
            #expect(try names(SessionFilter(hostLabel: "amd-1")) == ["amd-1 6.6.60-amd64", "amd-1 6.12.3-amd64"])
            // 6.12 is 6.12.x, not 6.120.
            #expect(try names(SessionFilter(kernel: "6.12")) == ["amd-1 6.12.3-amd64", "amd-2 6.12.9"])
            #expect(try names(SessionFilter(hostLabel: "amd-1", kernel: "6.12")) == ["amd-1 6.12.3-amd64"])
            #expect(try names(SessionFilter(kernel: "6.6.60-amd64")) == ["amd-1 6.6.60-amd64"])
            #expect(try names(SessionFilter(since: t0.addingTimeInterval(day), until: t0.addingTimeInterval(3 * day)))
                    == ["amd-1 6.12.3-amd64", "amd-2 6.12.9"])
            #expect(try history.sessionRuns(SessionFilter(hostLabel: "nobody")).isEmpty)
        }
    }

    /// Runs kept locally while the shared database was away are sent by push; a second push
    /// adds nothing, and neither does one cut off after the server committed (the local
    /// mark lost).
    @Test(arguments: backends)
    func pushSendsKeptRunsOnce(_ backend: TestDatabases.Backend) throws {
        try backend.withFresh { target in
            let localPath = TestDatabases.temporaryFile()
            defer { TestDatabases.removeFile(localPath) }
            let shared = try History(target)
            let local = try History(.file(localPath))
            // Begun in the shared database, which then went away after one run.
            let id = try shared.begin(hostLabel: "web-1", host: Self.host, command: ["run"])
            try shared.record(Self.run("native", "getpid", rep: 1, wall: 100), session: id, seq: 0, warmup: false)
            _ = try local.begin(id: id, hostLabel: "web-1", host: Self.host, command: ["run"], keptFor: shared.location)
            try local.record(Self.run("native", "getpid", rep: 2, wall: 101), session: id, seq: 1, warmup: false)
            try local.record(Self.run("native", "getpid", rep: 3, wall: 102), session: id, seq: 2, warmup: false)
            try local.finish(id, status: .complete, host: Self.host)
            // A session of the local file's own is not sent.
            _ = try local.begin(hostLabel: "web-1", host: Self.host, command: ["local only"])

            #expect(try local.keptSessions(for: shared.location) == [id])
            let first = try local.push(to: shared)
            #expect(first == History.PushOutcome(sessions: 1, runsSent: 2, runsAdded: 2))
            #expect(try shared.document(session: id).runs.map(\.wallNs) == [100, 101, 102])
            #expect(try shared.sessions().map(\.status) == ["complete"])

            #expect(try local.push(to: shared) == History.PushOutcome())
            // The local mark lost: sent again, stored once.
            try markUnpushed(localPath)
            #expect(try local.push(to: shared) == History.PushOutcome(sessions: 1, runsSent: 2, runsAdded: 0))
            #expect(try shared.document(session: id).runs.count == 3)
        }
    }

    func markUnpushed(_ path: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE session SET pushed_at = NULL'); c.commit()", path]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
    }

    @Test func anUnwritableLocationIsOneClearError() throws {
        let error = try #require(throws: IsoprobeError.self) { try History(path: "/proc/isoprobe/history.sqlite") }
        #expect("\(error)".contains("history"))
    }

    @Test func locationsAndPasswords() throws {
        #expect(HistoryLocation("/var/lib/isoprobe/h.sqlite") == .file("/var/lib/isoprobe/h.sqlite"))
        #expect(HistoryLocation("mysql://x@y/z") == nil)
        let url = try #require(PostgresURL("postgres://fleet:s3cret@db.example:5433/isoprobe?sslmode=require&password=s3cret"))
        #expect(url.printable == "postgres://fleet@db.example:5433/isoprobe?sslmode=require")
        #expect(PostgresURL.redacted("postgresql://fleet@db/isoprobe?password=x") == "postgresql://fleet@db/isoprobe")
        #expect(PostgresURL.redacted("postgres://db/isoprobe") == "postgres://db/isoprobe")
    }
}
