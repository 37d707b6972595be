import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// The fleet runbook's playbook (docs/fleet/playbook.yml) under Debian's ansible-core:
    /// its syntax, then a run against this host over a local connection, with the built
    /// binary, a tiny suite and a database on the tests' server; the run must land there under
    /// the host label the playbook gave it.
    @Suite(.enabled(if: (Requirements.rootAndBPF && TestPostgres.available && Requirements.ansiblePlaybook != nil) || Requirements.inCI,
                    "needs root, kernel BTF, the tests' PostgreSQL server (make test starts it) and ansible-core"))
    struct FleetPlaybookTests {
        let dir = temporaryPath("playbook")
        static let playbook = Repo.root + "/docs/fleet/playbook.yml"

        init() throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }

        /// ansible-playbook with its state and temporary files in the test's folder, not ~/.ansible.
        func ansible(_ playbook: String, _ arguments: [String]) throws -> ProcessResult {
            var environment = smallEnvironment()
            environment["ANSIBLE_HOME"] = dir + "/ansible"
            environment["ANSIBLE_LOCAL_TEMP"] = dir + "/ansible/tmp"
            environment["ANSIBLE_REMOTE_TEMP"] = dir + "/ansible/remote-tmp"
            environment["ANSIBLE_NOCOLOR"] = "1"
            environment["ANSIBLE_RETRY_FILES_ENABLED"] = "0"
            return try runProcess(try Requirements.requireAnsiblePlaybook(), arguments + [playbook], environment: environment,
                                  directory: dir, timeout: 120)
        }

        @Test func thePlaybookRunsASuiteIntoTheSharedHistoryUnderItsHostLabel() throws {
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Requirements.requireKernelTestSetup()
            let server = try TestPostgres.requireServer()
            let url = try TestPostgres.newDatabase(on: server)
            defer { TestPostgres.dropDatabase(url, on: server) }

            let syntax = try ansible(Self.playbook, ["--syntax-check", "-i", "localhost,"])
            #expect(syntax.status == 0 && syntax.stdout.contains("playbook: \(Self.playbook)"), "\(syntax.stdout)\(syntax.stderr)")

            let suite = dir + "/tiny.toml"
            try Data("""
                repetitions = 2
                warmups = 0
                environments = ["native"]
                [[workload]]
                spec = "getpid:count=20000"
                """.utf8).write(to: URL(fileURLWithPath: suite))
            let label = "ansible-local-\(getpid())"
            // The role that must give a password (scram-sha-256 on the tests' server): the
            // playbook writes it to a pgpass file, libpq reads it from there, and it is on no
            // command line and in no output.
            try TestPostgres.psql(url, "GRANT ALL ON SCHEMA public TO isoprobe_pw")
            let userURL = url.replacingOccurrences(of: #"//[^@/]*@"#, with: "//isoprobe_pw@", options: .regularExpression)
            let secret = "isoprobe-test-secret"
            let pgpass = dir + "/pgpass"
            func variables(db: String) throws -> String {
                let path = dir + "/vars-\(UUID().uuidString.prefix(8)).json"
                let values: [String: Any] = [
                    "isoprobe_binary": Repo.binary, "isoprobe_suite": suite, "isoprobe_db": db, "isoprobe_host_label": label,
                    "isoprobe_work_dir": dir + "/work", "isoprobe_local_db": dir + "/local.sqlite", "isoprobe_become": false,
                    "isoprobe_fetch_dir": dir + "/fetched", "ansible_python_interpreter": "/usr/bin/python3",
                    "isoprobe_pgpass": "*:*:*:isoprobe_pw:\(secret)", "isoprobe_pgpass_file": pgpass,
                    "isoprobe_pg_environment": ["PGPASSFILE": pgpass],
                ]
                try JSONSerialization.data(withJSONObject: values).write(to: URL(fileURLWithPath: path))
                return "@" + path
            }

            let played = try ansible(Self.playbook, ["-i", "localhost,", "-c", "local", "-e", try variables(db: userURL)])
            #expect(played.status == 0, "\(played.stdout)\(played.stderr)")
            #expect(!played.stdout.contains(secret) && !played.stderr.contains(secret))
            let mode = try FileManager.default.attributesOfItem(atPath: pgpass)[.posixPermissions] as? Int
            #expect(mode == 0o600, "the pgpass file's mode: \(String(mode ?? 0, radix: 8))")
            #expect(played.stdout.contains("localhost                  : ok=") && played.stdout.contains(" failed=0 "), "\(played.stdout)")

            // The session is in the database under the playbook's label, complete, with its two runs,
            // and the results.json fetched back to the control node holds the same runs.
            let session = try TestPostgres.psql(url, """
                SELECT s.host_label, s.status, count(r.seq), string_agg(r.wall_ns::text, ',' ORDER BY r.wall_ns)
                FROM session s JOIN run r ON r.session_id = s.id GROUP BY s.id
                """)
            let fetched = try #require(FileManager.default.contents(atPath: dir + "/fetched/\(label).json"), "no results.json fetched")
            let document = try ResultDocument.decoder().decode(ResultDocument.self, from: fetched)
            let wall = document.runs.map(\.wallNs).sorted().map(String.init).joined(separator: ",")
            #expect(session == "\(label)|complete|2|\(wall)", "\(session)\n\(played.stdout)")
            #expect(document.runs.allSatisfy { $0.syscall("getpid")?.count == 20_000 })
            // The command it recorded names the label, and no database (that came through the environment).
            let command = try TestPostgres.psql(url, "SELECT command FROM session")
            #expect(command.contains("--host-label \(label)") && !command.contains("postgres://") && !command.contains(secret), "\(command)")
            #expect(try TestPostgres.psql(url, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'") == "isoprobe_pw",
                    "the schema was made through the password role")

            // A password written in the database's URL stops the play before anything runs.
            let withPassword = userURL.replacingOccurrences(of: "isoprobe_pw@", with: "isoprobe_pw:\(secret)@")
            let refused = try ansible(Self.playbook, ["-i", "localhost,", "-c", "local", "-e", try variables(db: withPassword)])
            #expect(refused.status != 0 && refused.stdout.contains("without a password"), "\(refused.stdout)")
            #expect(!refused.stdout.contains(secret), "the refusal does not repeat the password")
            #expect(try TestPostgres.psql(url, "SELECT count(*) FROM session") == "1")
        }
    }
}
