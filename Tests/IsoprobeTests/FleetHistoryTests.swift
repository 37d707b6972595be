import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// A shared PostgreSQL history through the command line: two hosts writing at once, then
    /// compared and shown in the matrix; a server that stops mid-suite, the runs kept locally
    /// and pushed later, once however often. The moments that matter are held by the
    /// database itself (a lock the test holds), not by timers, so the load of the machine
    /// cannot change what is tested.
    @Suite(.enabled(if: (Requirements.rootAndBPF && TestPostgres.available) || Requirements.inCI,
                    "needs root, kernel BTF and the tests' PostgreSQL server (make test starts it)"))
    struct FleetHistoryTests {
        let dir = temporaryPath("fleet")

        init() throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }

        func write(_ name: String, _ text: String) throws -> String {
            let path = dir + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        /// The isoprobe backends of the database waiting for a lock (application_name is isoprobe's).
        static func waiting(_ kind: String) -> String {
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'isoprobe' "
                + "AND wait_event_type = 'Lock' AND wait_event = '\(kind)'"
        }

        /// Runs `isoprobe ARGS` on a thread of its own; `wait()` gives its result.
        final class Background: @unchecked Sendable {
            private let group = DispatchGroup()
            private var result: Result<ProcessResult, Error>?

            init(_ arguments: [String], timeout: Double) {
                group.enter()
                DispatchQueue.global().async { [self] in
                    result = Result { try runProcess(Repo.binary, arguments, timeout: timeout) }
                    group.leave()
                }
            }

            func wait() throws -> ProcessResult {
                group.wait()
                return try result!.get()
            }
        }

        /// Two isoprobe processes with different host labels write one database at the same
        /// time: both begin their sessions and then wait together on the run table, which the
        /// test holds locked until both are waiting. Every run lands under its host's label;
        /// compare sets the hosts against each other and the matrix shows both.
        @Test func twoHostsWriteOneDatabaseAtOnceThenCompareAndMatrix() throws {
            defer { cleanUp() }
            try Requirements.requireKernelTestSetup()
            _ = try Requirements.requireRunc()
            let server = try TestPostgres.requireServer()
            let url = try TestPostgres.newDatabase(on: server)
            defer { TestPostgres.dropDatabase(url, on: server) }
            // The schema first, so that the run table can be held before anyone writes.
            let made = try runProcess(Repo.binary, ["history", "--db", url], timeout: 30)
            #expect(made.status == 0, "\(made.stderr)")

            let suite = try write("fleet.toml", """
                repetitions = 2
                warmups = 0
                environments = ["native", "container"]
                [[workload]]
                spec = "getpid:count=20000"
                """)
            let holder = try TestPostgres.Holder(url, "BEGIN; LOCK TABLE run IN EXCLUSIVE MODE;")
            var released = false
            defer { if !released { holder.release() } }
            let locked = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                + "WHERE c.relname = 'run' AND l.mode = 'ExclusiveLock' AND l.granted"
            try #require(try TestPostgres.await(url, locked, "1") == "1", "psql never took the lock on the run table")

            let before = Leftovers.Snapshot.take()
            let hosts = ["fleet-a", "fleet-b"]
            let runs = hosts.map { label in
                Background(["run", "--suite", suite, "--db", url, "--host-label", label, "--quiet",
                            "--json", dir + "/\(label).json"], timeout: 90)
            }
            // Both have begun and both wait to write their first run: they are writing at once.
            let together = try TestPostgres.await(url, Self.waiting("relation"), "2", seconds: 60)
            #expect(together == "2", "isoprobe backends waiting on the run table together: \(together)")
            #expect(try TestPostgres.psql(url, "SELECT string_agg(host_label || ':' || status, ',' ORDER BY host_label) FROM session")
                    == "fleet-a:running,fleet-b:running")
            holder.release()
            released = true
            let results = try runs.map { try $0.wait() }
            for (label, r) in zip(hosts, results) {
                #expect(!r.timedOut && r.status == 0, "\(label): exit \(r.status)\n\(r.stderr)")
                try Leftovers.check(afterProcess: r.pid, targets: [], since: before)
            }

            // What was stored: one complete session per host, its four runs (2 rounds x 2 environments).
            #expect(try TestPostgres.psql(url, """
                SELECT s.host_label, s.status, count(r.seq) FROM session s LEFT JOIN run r ON r.session_id = s.id AND NOT r.warmup
                GROUP BY s.id, s.host_label, s.status ORDER BY s.host_label
                """) == "fleet-a|complete|4\nfleet-b|complete|4")
            #expect(try TestPostgres.psql(url, "SELECT count(DISTINCT (session_id, seq)) = count(*) FROM run") == "t")
            for label in hosts {
                // Each host's runs are the ones it measured (its --json), nothing else.
                let json = try #require(FileManager.default.contents(atPath: dir + "/\(label).json"))
                let document = try ResultDocument.decoder().decode(ResultDocument.self, from: json)
                let stored = try TestPostgres.psql(url, """
                    SELECT string_agg(r.wall_ns::text, ',' ORDER BY r.wall_ns) FROM run r JOIN session s ON s.id = r.session_id
                    WHERE s.host_label = '\(label)'
                    """)
                #expect(stored == document.runs.map(\.wallNs).sorted().map(String.init).joined(separator: ","), "\(label)")
            }

            let listed = try runProcess(Repo.binary, ["history", "--db", url, "--host", "fleet-b"], timeout: 30)
            #expect(listed.status == 0 && listed.stdout.contains(" fleet-b ") && !listed.stdout.contains("fleet-a"), "\(listed.stdout)")

            let compare = try runProcess(Repo.binary, ["compare", "host=fleet-a", "host=fleet-b", "--db", url], timeout: 30)
            #expect(compare.status == 0 || compare.status == 5, "compare: exit \(compare.status)\n\(compare.stdout)\(compare.stderr)")
            #expect(compare.stdout.contains("host=fleet-a (1 session)") && compare.stdout.contains("host=fleet-b (1 session)"),
                    "\(compare.stdout)")
            // The hosts' runs were paired and judged: getpid's figures natively and in a container.
            let judged = compare.stdout.range(of: #": \d+ metrics, "#, options: .regularExpression)
                .flatMap { Int(compare.stdout[$0].filter(\.isNumber)) } ?? 0
            #expect(judged >= 10, "\(compare.stdout)")

            let matrix = try runProcess(Repo.binary, ["history", "matrix", "--workload", "getpid:count=20000", "--env", "container",
                                                      "--db", url], timeout: 30)
            #expect(matrix.status == 0, "\(matrix.stderr)")
            let rows = matrix.stdout.split(separator: "\n").map(String.init)
            for label in hosts {
                let row = rows.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label + " ") }
                #expect(row?.contains("x (n=1)") == true, "matrix has no ratio for \(label):\n\(matrix.stdout)")
            }
            let html = try runProcess(Repo.binary, ["history", "matrix", "--workload", "getpid:count=20000", "--env", "container",
                                                    "--format", "html", "--db", url], timeout: 30)
            #expect(html.status == 0 && html.stdout.contains("fleet-a") && html.stdout.contains("fleet-b"))
        }

        /// The shared server stops while a run is being written: the run goes on in the
        /// local file with one line saying how to send it, nothing is lost; once the server is
        /// back, `history push` sends the kept runs, and pushing again adds no row. A private
        /// server of this test's own (the shared one stays up for everyone else); a trigger
        /// makes the second run's insert wait on a lock the test holds, so the server stops
        /// exactly there.
        @Test func aServerStoppedMidSuiteLosesNothingAndPushAddsEachRunOnce() throws {
            defer { cleanUp() }
            try Requirements.requireKernelTestSetup()
            let instance = try TestPostgres.Instance("midsuite")
            defer { instance.stop() }
            let url = instance.url.replacingOccurrences(of: #"/[^/]*$"#, with: "/fleet", options: .regularExpression)
            try TestPostgres.psql(instance.url, "CREATE DATABASE fleet")
            let made = try runProcess(Repo.binary, ["history", "--db", url], timeout: 30)
            #expect(made.status == 0, "\(made.stderr)")
            try TestPostgres.psql(url, """
                CREATE FUNCTION hold_after_first_run() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.seq >= 1 THEN PERFORM pg_advisory_xact_lock(4242); END IF; RETURN NEW; END $$;
                CREATE TRIGGER hold BEFORE INSERT ON run FOR EACH ROW EXECUTE FUNCTION hold_after_first_run();
                """)
            let holder = try TestPostgres.Holder(url, "SELECT pg_advisory_lock(4242);")
            defer { holder.release() }
            try #require(try TestPostgres.await(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted", "1") == "1",
                         "psql never took the advisory lock")

            let local = dir + "/local.sqlite"
            let json = dir + "/result.json"
            let before = Leftovers.Snapshot.take()
            let run = Background(["run", "--env", "native", "--workload", "getpid:count=20000", "--workload", "sleep:ms=1",
                                  "--reps", "2", "--warmups", "0", "--db", url, "--local-db", local, "--host-label", "away-1",
                                  "--quiet", "--json", json], timeout: 90)
            // The first run is stored, the second waits: now the server goes.
            let waiting = try TestPostgres.await(url, Self.waiting("advisory"), "1", seconds: 60)
            try #require(waiting == "1", "isoprobe never reached its second run's insert")
            #expect(try TestPostgres.psql(url, "SELECT count(*) FROM run") == "1")
            try instance.halt()
            let r = try run.wait()
            #expect(!r.timedOut && r.status == 0, "exit \(r.status)\n\(r.stderr)")
            try Leftovers.check(afterProcess: r.pid, targets: [], since: before)
            // One line: the database went, where the runs are, the command that sends them.
            let notice = r.stderrLines
            #expect(notice.count == 1, "\(r.stderr)")
            #expect(notice.first?.contains("postgres://") == true && notice.first?.contains("cannot be reached: terminating connection") == true
                    && notice.first?.contains(local) == true
                    && notice.first?.contains("isoprobe history push") == true, "\(r.stderr)")
            let document = try ResultDocument.decoder().decode(ResultDocument.self,
                                                               from: try #require(FileManager.default.contents(atPath: json)))
            #expect(document.runs.count == 4)

            try instance.resume()
            try TestPostgres.psql(url, "DROP TRIGGER hold ON run")
            let count = "SELECT count(*) FROM run"
            #expect(try TestPostgres.psql(url, count) == "1", "the server kept the run it had")
            let listed = try runProcess(Repo.binary, ["history", "--db", local], timeout: 30)
            #expect(listed.stdout.contains("kept for postgres://"), "\(listed.stdout)")

            let push = try runProcess(Repo.binary, ["history", "push", "--db", url, "--local-db", local], timeout: 30)
            #expect(push.status == 0, "\(push.stderr)")
            #expect(push.stdout.contains("pushed 1 session") && push.stdout.contains(": 3 new runs of 3 sent"), "\(push.stdout)")
            let stored = """
                SELECT s.host_label, s.status, string_agg(r.seq::text, ',' ORDER BY r.seq), string_agg(r.wall_ns::text, ',' ORDER BY r.wall_ns)
                FROM session s JOIN run r ON r.session_id = s.id GROUP BY s.id
                """
            let wall = document.runs.map(\.wallNs).sorted().map(String.init).joined(separator: ",")
            #expect(try TestPostgres.psql(url, stored) == "away-1|complete|0,1,2,3|\(wall)", "every run once, the session complete")

            let again = try runProcess(Repo.binary, ["history", "push", "--db", url, "--local-db", local], timeout: 30)
            #expect(again.status == 0 && again.stdout.contains("pushed 0 sessions"), "\(again.stdout)\(again.stderr)")
            #expect(try TestPostgres.psql(url, count) == "4")
            // A push cut off between the server's commit and the local mark sends it all again: still once each.
            let unmark = try runProcess("/usr/bin/python3", ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                                                             + "c.execute('UPDATE session SET pushed_at = NULL'); c.commit()", local])
            #expect(unmark.status == 0, "\(unmark.stderr)")
            let resent = try runProcess(Repo.binary, ["history", "push", "--db", url, "--local-db", local], timeout: 30)
            #expect(resent.status == 0 && resent.stdout.contains(": 0 new runs of 3 sent"), "\(resent.stdout)\(resent.stderr)")
            #expect(try TestPostgres.psql(url, stored) == "away-1|complete|0,1,2,3|\(wall)")
        }
    }
}
