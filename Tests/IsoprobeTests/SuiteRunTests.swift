import Foundation
import History
import IsoprobeCore
import Suite
import Testing

extension KernelTests {
    /// Suites end to end: validation before anything runs, every format written, the
    /// history database, `compare` as a CI gate, and Ctrl-C keeping what finished.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct SuiteRunTests {
        let dir = temporaryPath("suites")
        var db: String { dir + "/history.sqlite" }

        init() throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }

        func suite(_ name: String, _ text: String) throws -> String {
            let path = dir + "/\(name).toml"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        /// compute alone, natively: 40 ms of pure CPU per run, steady enough that two runs of
        /// the same suite must not differ, and `delay_ms` doubles its wall time.
        func computeSuite(delayMs: Int = 0) -> String {
            """
            name = "compute"
            repetitions = 5
            warmups = 1
            environments = ["native"]
            [[workload]]
            name = "compute"
            params = { iterations = 20000000\(delayMs > 0 ? ", delay_ms = \(delayMs)" : "") }
            """
        }

        @Test func aSuiteWritesEveryFormatAndTheHistory() throws {
            defer { cleanUp() }
            let out = dir + "/out"
            let path = try suite("two", """
                repetitions = 5
                warmups = 1
                environments = ["native", "container"]
                [[workload]]
                spec = "compute:iterations=20000000"
                [[workload]]
                spec = "getpid:count=50000"
                environments = ["native"]
                """)
            let r = try isoprobe(["run", "--suite", path, "--db", db, "--out", out, "--quiet"], timeout: 120)
            #expect(r.process.status == 0, "\(r.process.stderr)")
            let doc = try #require(r.document)
            // compute in native and container, getpid natively: 5 measured runs each, warm-ups left out.
            #expect(doc.runs.count == 15)
            #expect(doc.runs.filter { $0.workload.spec == "getpid:count=50000" }.allSatisfy {
                $0.environment == "native" && $0.syscall("getpid")?.count == 50_000
            })
            let summary = try #require(doc.summary)
            #expect(summary.method.repetitions == 5 && summary.method.warmups == 1)
            let containerWall = try #require(summary.metrics.first { $0.environment == "container" && $0.metric == "wall_ns" })
            #expect(containerWall.n == 5 && containerWall.vsNative != nil)
            for file in ["report.txt", "report.md", "results.json", "runs.csv", "metrics.txt", "metrics.prom", "report.html", "trace.json"] {
                let size = (try? FileManager.default.attributesOfItem(atPath: out + "/" + file)[.size] as? Int) ?? 0
                #expect(size > 100, "\(file) missing or empty")
            }
            let history = try History(path: db)
            let sessions = try history.sessions()
            #expect(sessions.count == 1 && sessions[0].status == "complete" && sessions[0].runs == 15)
            #expect(try history.document(session: sessions[0].id, includeWarmups: true).runs.count == 18)
            // export reads it back in any format.
            let csv = try runProcess(Repo.binary, ["export", "latest", "--db", db, "--format", "csv"])
            #expect(csv.status == 0 && csv.stdout.contains(",syscall:getpid:count,count,50000\r\n"), "\(csv.stderr)")
            let bad = try runProcess(Repo.binary, ["export", "latest", "--db", db, "--format", "pdf"])
            #expect(bad.status == 2 && bad.stderrLines.count == 1)
        }

        @Test func aBadSuiteIsOneLineAndNothingRuns() throws {
            defer { cleanUp() }
            let misspelt = try suite("misspelt", "repetitons = 5\n[[workload]]\nspec = \"getpid\"\n")
            let r = try isoprobe(["run", "--suite", misspelt, "--db", db], json: false)
            #expect(r.process.status == 2)
            #expect(r.process.stderrLines == ["isoprobe: \(misspelt):1:1: repetitons: unknown key; did you mean 'repetitions'?"])
            let wrongType = try suite("type", "[[workload]]\nspec = \"getpid\"\nrepetitions = \"five\"\n")
            let t = try isoprobe(["run", "--suite", wrongType, "--db", db], json: false)
            #expect(t.process.status == 2)
            #expect(t.process.stderrLines == ["isoprobe: \(wrongType):3:15: workload[1].repetitions: expected an integer >= 1, got string \"five\""])
            // A fixture the catalog does not know, at its line.
            let unknown = try suite("unknown", "[[workload]]\nspec = \"getpid\"\n[[workload]]\nname = \"getpi\"\n")
            let u = try isoprobe(["run", "--suite", unknown, "--db", db], json: false)
            #expect(u.process.status == 2)
            #expect(u.process.stderrLines.first?.hasPrefix("isoprobe: \(unknown):4:8: workload[2].name: unknown workload 'getpi'") == true,
                    "\(u.process.stderr)")
            let ran = FileManager.default.fileExists(atPath: db) ? try History(path: db).sessions().count : 0
            #expect(ran == 0, "nothing runs after a bad suite")
        }

        /// Suite files nested 100,000 deep, of each kind: one line at the place the nesting
        /// passes the limit, exit 2, not a crash for want of stack.
        @Test(arguments: [
            ("arrays", "a = " + String(repeating: "[", count: 100_000), 5 + TOMLDocument.nestingLimit),
            ("inline", "a = " + String(repeating: "{b = ", count: 100_000), 6 + 5 * (TOMLDocument.nestingLimit - 1)),
            ("dotted", String(repeating: "a.", count: 100_000) + "a = 1", 1 + 2 * TOMLDocument.nestingLimit),
            ("header", "[" + String(repeating: "a.", count: 100_000) + "a]", 2 + 2 * TOMLDocument.nestingLimit),
        ])
        func aSuiteNestedTooDeepIsOneLine(_ kind: String, _ text: String, column: Int) throws {
            defer { cleanUp() }
            let path = try suite("deep-\(kind)", text + "\n[[workload]]\nspec = \"getpid\"\n")
            let r = try isoprobe(["run", "--suite", path, "--db", db], json: false)
            #expect(r.process.reason == .exit && r.process.status == 2, "\(kind): exit \(r.process.status) (\(r.process.reason))")
            #expect(r.process.stderrLines == ["isoprobe: \(path):1:\(column): nested more than \(TOMLDocument.nestingLimit) levels deep "
                                              + "(table headers, dotted keys, arrays and inline tables count together)"],
                    "\(kind): \(r.process.stderr.prefix(500))")
            #expect(r.process.stdout.isEmpty)
        }

        /// --runtime on the command line overrides the suite's [container] runtime: a
        /// runtime that does not exist takes the container environment out, with a notice
        /// naming it, and the native runs go on.
        @Test func commandLineRuntimeOverridesTheSuites() throws {
            defer { cleanUp() }
            let path = try suite("runtime", """
                repetitions = 1
                warmups = 0
                environments = ["native", "container"]
                [container]
                runtime = "runc"
                [[workload]]
                spec = "getpid:count=1000"
                """)
            let r = try isoprobe(["run", "--suite", path, "--runtime", "/nonexistent/runtime", "--quiet", "--no-history"])
            #expect(r.process.status == 0, "\(r.process.stderr)")
            #expect(r.process.stderr.contains("skipping environment container: OCI runtime '/nonexistent/runtime' not found"),
                    "\(r.process.stderr)")
            let runs = try #require(r.document, "no JSON: \(r.process.stderr)").runs
            #expect(runs.map(\.environment) == ["native"])
        }

        @Test func compareFlagsATwiceSlowerWorkloadAndNothingBetweenTwoRunsOfOneSuite() throws {
            defer { cleanUp() }
            let plain = try suite("compute", computeSuite())
            let slowed = try suite("slowed", computeSuite(delayMs: 40))
            for path in [plain, plain, slowed] {
                let r = try isoprobe(["run", "--suite", path, "--db", db, "--quiet"], json: false, timeout: 120)
                #expect(r.process.status == 0, "\(r.process.stderr)")
            }
            let same = try runProcess(Repo.binary, ["compare", "latest~2", "latest~1", "--db", db])
            #expect(same.status == 0, "two runs of one suite: \(same.stdout)")
            #expect(same.stdout.contains("0 regressions"), "\(same.stdout)")
            let slower = try runProcess(Repo.binary, ["compare", "latest~2", "latest", "--db", db])
            #expect(slower.status == 5, "a 2x slower workload must fail the gate (exit 5): \(slower.stdout)")
            let wall = slower.stdout.split(separator: "\n").first { $0.contains("wall_ns") }
            #expect(wall?.hasPrefix("  regression") == true, "\(slower.stdout)")
            #expect(wall?.contains("compute:iterations=20000000 -> compute:iterations=20000000,delay_ms=40") == true)
            let md = try runProcess(Repo.binary, ["compare", "latest~2", "latest", "--db", db, "--format", "markdown"])
            #expect(md.status == 5 && md.stdout.contains("| **regression** |"))
        }

        @Test func ctrlCKeepsEveryFinishedRunInTheHistory() throws {
            defer { cleanUp() }
            let long = try suite("long", """
                repetitions = 50
                warmups = 0
                environments = ["native"]
                [[workload]]
                spec = "sleep:ms=100"
                """)
            let start = Date()
            let r = try isoprobe(["run", "--suite", long, "--db", db, "--quiet"], json: false, timeout: 60) { process in
                while Date().timeIntervalSince(start) < 1.5 { usleep(20_000) }
                process.interrupt()
            }
            #expect(r.process.status == 130, "\(r.process.stderr)")
            let history = try History(path: db)
            let session = try #require(try history.sessions().first)
            #expect(session.status == "interrupted")
            #expect(session.runs >= 3, "about 1.5 s of 100 ms runs finished; kept \(session.runs)")
            let doc = try history.document(session: session.id)
            #expect(doc.runs.count == session.runs)
            // Every run but the one the interrupt cut short exited cleanly; that one is kept marked as such.
            #expect(doc.runs.dropLast().allSatisfy { $0.exit.succeeded })
            #expect(doc.runs.filter { !$0.exit.succeeded }.count <= 1)
            #expect(r.process.stderr.contains("kept as run \(session.id)"), "\(r.process.stderr)")
        }
    }
}
