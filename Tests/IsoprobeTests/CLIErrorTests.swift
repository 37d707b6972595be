import Foundation
import IsoprobeCore
import Probes
import Testing

extension KernelTests {
    /// What the user sees when something is wrong: an exit code by kind (usage 2, missing 3)
    /// and exactly one line on stderr naming the culprit. And the two diagnostic commands.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct CLIErrorTests {
        func oneLine(_ r: IsoprobeRun, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            #expect(r.process.stdout.isEmpty, "stdout: \(r.process.stdout)", sourceLocation: sourceLocation)
            #expect(r.document == nil, "no --json document for a run that never started", sourceLocation: sourceLocation)
            let lines = r.process.stderrLines
            try #require(lines.count == 1, "want exactly one stderr line, got \(lines.count):\n\(r.process.stderr)",
                         sourceLocation: sourceLocation)
            #expect(lines[0].hasPrefix("isoprobe: "), sourceLocation: sourceLocation)
            return lines[0]
        }

        @Test func unknownWorkload() throws {
            let r = try isoprobe(["run", "--workload", "nosuch", "--quiet"])
            #expect(r.process.status == 2)
            let line = try oneLine(r)
            #expect(line.contains("'nosuch'"), "\(line)")
            // The network workloads' server is built beside them but is not one.
            let known = Repo.workloadNames.filter { $0 != "peer-server" }
            try #require(known.count >= 5, "fixture workloads not built: run make workloads")
            for name in known {
                #expect(line.contains(name), "the error does not list workload \(name): \(line)")
            }
        }

        @Test func unknownWorkloadParameter() throws {
            let r = try isoprobe(["run", "--workload", "getpid:cnt=5", "--quiet"])
            #expect(r.process.status == 2)
            let line = try oneLine(r)
            #expect(line.contains("'cnt'"), "\(line)")
            #expect(line.contains("count"), "names the known parameter: \(line)")
        }

        @Test func badParameterValue() throws {
            let r = try isoprobe(["run", "--workload", "pipe-rw:size=2000000", "--quiet"])
            #expect(r.process.status == 2)
            let line = try oneLine(r)
            #expect(line.contains("size"), "\(line)")
        }

        @Test func malformedSpec() throws {
            let r = try isoprobe(["run", "--workload", "getpid:count", "--quiet"])
            #expect(r.process.status == 2)
            let line = try oneLine(r)
            #expect(line.contains("count"), "\(line)")
        }

        /// run and verify share the container and VM flags, and refuse one given for an
        /// environment they will not start.
        @Test(arguments: [
            (["run", "--workload", "getpid:count=10", "--accel", "fast"], "--accel"),
            (["run", "--workload", "getpid:count=10", "--kernel", "/boot/x"], "--kernel"),
            (["run", "--workload", "getpid:count=10", "--env", "native,vm", "--runtime", "crun"], "--runtime"),
            (["verify", "--env", "container", "--accel", "tcg"], "--accel"),
            (["verify", "--env", "vm", "--runtime", "crun"], "--runtime"),
        ])
        func guestFlagOutsideItsEnvironment(_ args: [String], flag: String) throws {
            let r = try isoprobe(args, json: false)
            #expect(r.process.status == 2, "\(args): exit \(r.process.status)")
            let lines = r.process.stderrLines
            try #require(lines.count == 1, "want one line, got \(r.process.stderr)")
            #expect(lines[0].hasPrefix("isoprobe: \(flag) ") || lines[0].hasPrefix("isoprobe: \(flag): "), "\(lines[0])")
        }

        /// A probe the verifier refuses is an error with the verifier's log, not "unsupported".
        @Test func verifierRejectionShowsTheLogAndFails() throws {
            let directory = temporaryPath("rejected-probes")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for name in try FileManager.default.contentsOfDirectory(atPath: Repo.probesDirectory) where name.hasSuffix(".bpf.o") {
                try FileManager.default.copyItem(atPath: Repo.probesDirectory + "/" + name, toPath: directory + "/" + name)
            }
            let rejected = Repo.root + "/build/fixtures/probes/syscalls.bpf.o"
            try #require(FileManager.default.fileExists(atPath: rejected), "the rejected probe is not built (make probes)")
            try FileManager.default.removeItem(atPath: directory + "/syscalls.bpf.o")
            try FileManager.default.copyItem(atPath: rejected, toPath: directory + "/syscalls.bpf.o")
            let r = try isoprobe(["run", "--workload", "getpid:count=10", "--probes", "syscalls", "--probes-dir", directory,
                                  "--quiet"])
            #expect(r.process.status == 1, "a rejected probe is a failure (exit 1), got \(r.process.status)")
            #expect(r.process.stderr.contains("BEGIN PROG LOAD LOG") || r.process.stderr.contains("processed "),
                    "the verifier's log: \(r.process.stderr)")
            let last = r.process.stderrLines.last ?? ""
            #expect(last.hasPrefix("isoprobe: the kernel's verifier rejected the syscalls probes"), "\(last)")
            #expect(!r.process.stderr.contains("unsupported"))
        }

        /// A probes folder with the built objects, `family`'s replaced by `contents`.
        func probesDirectory(replacing family: ProbeFamily, with contents: Data) throws -> String {
            let directory = temporaryPath("hostile-probes")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: Repo.probesDirectory) where name.hasSuffix(".bpf.o") {
                try FileManager.default.copyItem(atPath: Repo.probesDirectory + "/" + name, toPath: directory + "/" + name)
            }
            try contents.write(to: URL(fileURLWithPath: directory + "/" + family.objectFile))
            return directory
        }

        /// A garbage object in --probes-dir for a family that was asked for: one line naming
        /// the file and why, never a run that attached nothing and says exit 0. A family not
        /// asked for is not opened.
        @Test(arguments: ProbeFamily.allCases)
        func garbageProbeObjectIsNamed(_ family: ProbeFamily) throws {
            var generator = SystemRandomNumberGenerator()
            let garbage = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let directory = try probesDirectory(replacing: family, with: garbage)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/" + family.objectFile
            for probes in [family.rawValue, "all"] {
                let r = try isoprobe(["run", "--workload", "getpid:count=10", "--probes", probes, "--probes-dir", directory, "--quiet"])
                #expect(r.process.status == 3, "--probes \(probes): exit \(r.process.status): \(r.process.stderr)")
                let line = try oneLine(r)
                #expect(line.contains("the \(family.rawValue) probes cannot be opened: \(file): ") && line.contains("ELF"), "\(line)")
            }
            let other = ProbeFamily.allCases.first { $0 != family }!
            let r = try isoprobe(["run", "--workload", "getpid:count=10", "--probes", other.rawValue, "--probes-dir", directory, "--quiet"])
            #expect(r.process.status == 0, "--probes \(other.rawValue) does not open \(family.objectFile): \(r.process.stderr)")
        }

        /// An object that opens but is not the family's (another family's under its name, or
        /// one whose sections name no tracepoint) would attach nothing: refused, named.
        @Test(arguments: ProbeFamily.allCases)
        func probeObjectOfAnotherKindIsNamed(_ family: ProbeFamily) throws {
            let other = ProbeFamily.allCases.first { $0 != family }!
            let real = try Data(contentsOf: URL(fileURLWithPath: Repo.probesDirectory + "/" + family.objectFile))
            var renamed = [UInt8](real)
            for (from, to) in [("tp_btf/", "xx_btf/"), ("raw_tp/", "xaw_tp/")] {
                let needle = Array(from.utf8), replacement = Array(to.utf8)
                var i = 0
                while i + needle.count <= renamed.count {
                    if renamed[i..<i + needle.count].elementsEqual(needle) {
                        renamed.replaceSubrange(i..<i + needle.count, with: replacement)
                    }
                    i += 1
                }
            }
            for contents in [try Data(contentsOf: URL(fileURLWithPath: Repo.probesDirectory + "/" + other.objectFile)), Data(renamed)] {
                let directory = try probesDirectory(replacing: family, with: contents)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let r = try isoprobe(["run", "--workload", "getpid:count=10", "--probes", family.rawValue, "--probes-dir", directory,
                                      "--quiet"])
                #expect(r.process.status == 3, "exit \(r.process.status): \(r.process.stderr)")
                let line = try oneLine(r)
                #expect(line.contains("\(directory)/\(family.objectFile) is not isoprobe's \(family.rawValue) probe object"), "\(line)")
            }
        }

        /// Root without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN: the missing capabilities are
        /// named, exit 3, nothing runs.
        @Test func missingCapabilitiesAreNamed() throws {
            try Requirements.requireKernelTestSetup()
            let r = try runProcess("/usr/bin/setpriv", ["--bounding-set=-bpf,-perfmon,-sys_admin",
                                                        "--inh-caps=-bpf,-perfmon,-sys_admin", Repo.binary, "run",
                                                        "--workload", "getpid:count=10", "--quiet", "--no-history"])
            #expect(r.status == 3, "a missing privilege exits 3, got \(r.status): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("CAP_BPF") && lines[0].contains("refused"), "\(r.stderr)")
        }

        @Test func missingProbesDirectory() throws {
            let r = try isoprobe(["run", "--workload", "getpid:count=10", "--probes-dir", "/nonexistent", "--quiet"])
            #expect(r.process.status != 0)
            #expect(r.process.status == 3, "a missing piece exits 3, got \(r.process.status)")
            let line = try oneLine(r)
            #expect(line.contains("--probes-dir"), "\(line)")
            #expect(line.contains("/nonexistent"), "\(line)")
        }

        @Test func unknownEnvironment() throws {
            let r = try isoprobe(["run", "--env", "nosuch", "--workload", "getpid:count=10", "--quiet"])
            #expect(r.process.status == 2)
            let line = try oneLine(r)
            #expect(line.contains("nosuch"), "\(line)")
            #expect(line.contains("native"), "names the known environments: \(line)")
        }

        /// The enumerated flags are refused by the parser, flag first, with the words they take.
        @Test(arguments: [
            (["run", "--env", "native,native"], "--env", "each once"),
            (["run", "--env", "native,"], "--env", "container"),
            (["run", "--env", ""], "--env", "'native', 'container', 'container-host' or 'vm'"),
            (["run", "--env", ","], "--env", "'native', 'container', 'container-host' or 'vm'"),
            (["run", "--userns", "maybe"], "--userns", "'auto', 'on' or 'off'"),
            (["run", "--env", "container", "--network", "nat"], "--network", "'bridge', 'host', 'none' or 'bridge,host'"),
            (["run", "--accel", "fast", "--env", "vm"], "--accel", "'auto', 'kvm' or 'tcg'"),
            (["verify", "--env", "native"], "--env", "'container' or 'vm'"),
        ])
        func enumeratedFlagValues(_ args: [String], flag: String, expected: String) throws {
            let r = try isoprobe(args + (args[0] == "run" ? ["--workload", "getpid:count=10", "--quiet"] : []), json: false)
            #expect(r.process.status == 2)
            let line = try oneLine(r)
            #expect(line.hasPrefix("isoprobe: \(flag): "), "\(line)")
            #expect(line.contains(expected), "\(line)")
        }

        @Test func unknownProbeFamily() throws {
            let r = try isoprobe(["run", "--probes", "syscalls,nosuch", "--workload", "getpid:count=10", "--quiet"])
            #expect(r.process.status == 2)
            let line = try oneLine(r)
            #expect(line.contains("nosuch"), "\(line)")
        }

        @Test func commandNotFound() throws {
            let r = try isoprobe(["run", "--quiet", "--", "/nonexistent/isoprobe-no-such-program"])
            #expect(r.process.status != 0)
            #expect(r.process.stderrLines.count == 1, "\(r.process.stderr)")
            #expect(r.process.stderr.contains("isoprobe-no-such-program"), "\(r.process.stderr)")
        }

        @Test func probesCommandAttachesEveryFamily() throws {
            let r = try isoprobe(["probes"], json: false)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)\n\(r.process.stdout)")
            let rows = r.process.stdout.split(separator: "\n").map {
                $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            }
            for family in ProbeFamily.allCases.map(\.rawValue) {
                let attached = rows.filter { $0.first == family && $0.last == "attached" }
                #expect(!attached.isEmpty, "no program of family \(family) attached:\n\(r.process.stdout)")
            }
            #expect(!r.process.stdout.contains("FAILED"), "\(r.process.stdout)")
        }

        @Test func doctorFindsCgroup2() throws {
            let r = try isoprobe(["doctor"], json: false)
            #expect(r.process.status == 0, "\(r.process.stdout)\n\(r.process.stderr)")
            let cgroupRow = r.process.stdout.split(separator: "\n").first { $0.hasPrefix("cgroup2 ") }
            let row = try #require(cgroupRow, "doctor does not mention cgroup2:\n\(r.process.stdout)")
            #expect(row.contains(" ok "), "\(row)")
            if let mount = Leftovers.cgroup2Mount() {
                #expect(row.contains(mount), "doctor names the mount \(mount): \(row)")
            }
            #expect(!r.process.stdout.contains("MISSING"), "\(r.process.stdout)")
        }

        /// A scratch base the user named must be there: isoprobe makes only its default
        /// (/var/tmp), never a folder ISOPROBE_SCRATCH names.
        @Test func missingScratchBaseIsRefused() throws {
            let base = temporaryPath("no-scratch")
            defer { try? FileManager.default.removeItem(atPath: base) }
            var environment = smallEnvironment()
            environment["ISOPROBE_SCRATCH"] = base
            let r = try isoprobe(["run", "--workload", "getpid:count=10", "--quiet"], environment: environment)
            #expect(r.process.status == 3, "a missing scratch folder exits 3, got \(r.process.status): \(r.process.stderr)")
            let line = try oneLine(r)
            #expect(line.contains("ISOPROBE_SCRATCH") && line.contains(base), "\(line)")
            #expect(!FileManager.default.fileExists(atPath: base), "isoprobe made \(base)")
        }

        /// Output that cannot be written (a full disk, a closed pipe) is a failure, said once.
        @Test(arguments: [
            ["run", "--workload", "getpid:count=10", "--no-history"],
            ["history", "--db", "/nonexistent/isoprobe-test-history.sqlite"],
            ["--help"],
        ])
        func unwritableStandardOutputFails(_ args: [String]) throws {
            try Requirements.requireKernelTestSetup()
            let r = try runProcess("/bin/sh", ["-c", "exec \"$0\" \"$@\" >/dev/full", Repo.binary] + args)
            #expect(r.reason == .exit && r.status == 1, "\(args): exit \(r.status) (\(r.reason)): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "want one line, got \(r.stderr)")
            #expect(lines.first?.hasPrefix("isoprobe: ") == true && r.stderr.contains("standard output"), "\(r.stderr)")
        }

        /// Container limits the runtime would refuse are refused before anything runs.
        @Test(arguments: [
            (["--memory", "1"], "--memory", "6M"),
            (["--memory", "4M"], "--memory", "6M"),
            (["--memory", "1e30G"], "--memory", "size"),
            (["--cpus", "1e9"], "--cpus", "\(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs"),
            (["--cpus", "nan"], "--cpus", "0.01"),
        ])
        func containerLimitsOutOfRange(_ flags: [String], flag: String, expected: String) throws {
            let r = try isoprobe(["run", "--env", "container"] + flags + ["--workload", "getpid:count=10", "--quiet"])
            #expect(r.process.status == 2, "\(flags): exit \(r.process.status): \(r.process.stderr)")
            let line = try oneLine(r)
            #expect(line.hasPrefix("isoprobe: \(flag) ") || line.hasPrefix("isoprobe: \(flag): "), "\(line)")
            #expect(line.contains(expected), "\(line)")
        }

        /// Numbers that are not numbers, or not finite, are refused.
        @Test(arguments: [
            (["--timeout", "nan"], "--timeout"),
            (["--timeout", "inf"], "--timeout"),
            (["--timeout=-1"], "--timeout"),
            (["--threshold", "nan"], "--threshold"),
        ])
        func nonFiniteNumbersAreRefused(_ flags: [String], flag: String) throws {
            let r = try isoprobe(["run"] + flags + ["--workload", "getpid:count=10", "--quiet"])
            #expect(r.process.status == 2, "\(flags): exit \(r.process.status): \(r.process.stderr)")
            let line = try oneLine(r)
            #expect(line.hasPrefix("isoprobe: \(flag) "), "\(line)")
        }

        /// The history is an SQLite file or a postgres:// URL: another URL is refused, and
        /// nothing is made in the working directory (a `mysql:` folder, say).
        @Test func historyURLIsRefused() throws {
            try Requirements.requireKernelTestSetup()
            let directory = temporaryPath("db-url")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let url = "mysql://isoprobe:secret@db.example/isoprobe"
            var environment = smallEnvironment()
            environment["ISOPROBE_HISTORY"] = url
            for (args, env, named) in [
                (["run", "--db", url, "--workload", "getpid:count=10", "--quiet"], smallEnvironment(), "--db"),
                (["compare", "--db", url, "latest~1", "latest"], smallEnvironment(), "--db"),
                (["run", "--workload", "getpid:count=10", "--quiet"], environment, "ISOPROBE_HISTORY"),
                (["export", "latest"], environment, "ISOPROBE_HISTORY"),
            ] {
                let r = try runProcess(Repo.binary, args, environment: env, directory: directory)
                #expect(r.status == 2, "\(args): exit \(r.status): \(r.stderr)")
                let lines = r.stderr.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("isoprobe: \(named)"), "\(args): \(r.stderr)")
                #expect(r.stderr.contains("postgres://") && !r.stderr.contains("secret"), "\(r.stderr)")
                let made = try FileManager.default.contentsOfDirectory(atPath: directory)
                #expect(made.isEmpty, "\(args) made \(made)")
            }
        }

        /// A message in words: no Swift type or Foundation error domain in it.
        func expectPlainWords(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) {
            for leak in ["Error.", "NSCocoaErrorDomain", "DecodingError", "Error Domain", "UserInfo", "CodingKeys"] {
                #expect(!line.contains(leak), "\(line)", sourceLocation: sourceLocation)
            }
        }

        /// --oci-config files that cannot serve: named, with what is wrong, in words.
        @Test(arguments: [
            ("missing", "does not exist"),
            ("folder", "is a folder"),
            ("wrong type", "ociVersion: expected a string, found number"),
        ])
        func unusableOCIConfig(_ kind: String, expected: String) throws {
            let path = temporaryPath("config", ".json")
            defer { try? FileManager.default.removeItem(atPath: path) }
            if kind == "folder" { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            if kind == "wrong type" { try Data(#"{"ociVersion": 5}"#.utf8).write(to: URL(fileURLWithPath: path)) }
            let r = try isoprobe(["run", "--env", "container", "--oci-config", path, "--workload", "getpid:count=1", "--quiet"])
            #expect(r.process.status == 2, "\(kind): \(r.process.stderr)")
            let line = try oneLine(r)
            #expect(line.contains(path) && line.contains(expected), "\(line)")
            #expect(kind == "wrong type" || line.hasPrefix("isoprobe: --oci-config \(path): "), "\(line)")
            expectPlainWords(line)
        }

        /// A history database whose stored run does not decode: the database, the run and the
        /// field, in words.
        @Test func storedRunThatDoesNotDecode() throws {
            let directory = temporaryPath("broken-history")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let db = directory + "/history.sqlite"
            let recorded = try isoprobe(["run", "--db", db, "--workload", "getpid:count=10", "--quiet"], json: false)
            try #require(recorded.process.status == 0, "\(recorded.process.stderr)")
            let python = try runProcess("/usr/bin/python3", ["-c", """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1])
                c.execute("UPDATE run SET result_json = CAST(REPLACE(CAST(result_json AS TEXT), '\\"kind\\"', '\\"sort\\"') AS BLOB)")
                c.commit()
                """, db])
            try #require(python.status == 0, "\(python.stderr)")
            for args in [["export", "latest", "--db", db], ["compare", "latest", "latest", "--db", db]] {
                let r = try runProcess(Repo.binary, args)
                #expect(r.status == 1, "\(args): exit \(r.status): \(r.stderr)")
                let lines = r.stderr.split(separator: "\n").map(String.init)
                try #require(lines.count == 1, "\(args): \(r.stderr)")
                #expect(lines[0].contains(db) && lines[0].contains("exit.kind") && lines[0].contains("missing"), "\(lines[0])")
                expectPlainWords(lines[0])
            }
        }

        /// compare and export read the history: one that does not exist is said so, not made.
        @Test(arguments: [["compare", "latest~1", "latest"], ["export", "latest"]])
        func historyThatDoesNotExist(_ args: [String]) throws {
            try Requirements.requireKernelTestSetup()
            let directory = temporaryPath("no-history")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let db = directory + "/history.sqlite"
            let r = try runProcess(Repo.binary, args + ["--db", db])
            #expect(r.status == 3, "\(args): exit \(r.status): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n").map(String.init)
            try #require(lines.count == 1, "\(r.stderr)")
            #expect(lines[0].contains(db) && lines[0].contains("does not exist"), "\(lines[0])")
            #expect(!FileManager.default.fileExists(atPath: directory), "\(args) made \(directory)")
        }

        /// Folders that cannot be made, for --db and --out: the reason in words.
        @Test func foldersThatCannotBeMade() throws {
            let file = temporaryPath("a-file")
            try Data().write(to: URL(fileURLWithPath: file))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let db = try isoprobe(["run", "--db", file + "/sub/history.sqlite", "--workload", "getpid:count=10", "--quiet"],
                                  json: false)
            #expect(db.process.status == 1, "\(db.process.stderr)")
            let dbLine = try oneLine(db)
            #expect(dbLine.contains(file + "/sub") && dbLine.lowercased().contains("not a directory"), "\(dbLine)")
            expectPlainWords(dbLine)

            let out = try isoprobe(["run", "--out", file + "/reports", "--workload", "getpid:count=10", "--quiet"], json: false)
            #expect(out.process.status == 1, "\(out.process.stderr)")
            let outLine = try oneLine(out)
            #expect(outLine.contains("--out") && outLine.lowercased().contains("not a directory"), "\(outLine)")
            expectPlainWords(outLine)
        }
    }
}
