import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// The same real program under `strace -f -c` and under `isoprobe run`: per-syscall
    /// counts (and error counts) must agree.
    @Suite(.enabled(if: (Requirements.rootAndBPF && Requirements.strace != nil) || Requirements.inCI,
                    "needs root, kernel BTF and strace"))
    struct StraceAgreementTests {
        /// What isoprobe's spawn path runs in the child between clone3 and execve
        /// (Sources/CShim/shim.c child_exec): close(report pipe), sigprocmask, 3 x signal(),
        /// dup2 of stdout. strace only starts counting at the exec.
        static let spawnPath: Set<String> = ["close", "dup2", "rt_sigprocmask", "rt_sigaction"]
        static let spawnPathSlack: UInt64 = 5

        struct Counts {
            var calls: UInt64
            var errors: UInt64
        }

        /// Parses the `strace -c` summary: `% time  seconds  usecs/call  calls  errors  syscall`,
        /// errors empty when none; the `total` row is left out.
        static func parseStraceSummary(_ text: String) -> [String: Counts] {
            var out: [String: Counts] = [:]
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                guard f.count == 5 || f.count == 6, Double(f[0]) != nil, Double(f[1]) != nil,
                      let calls = UInt64(f[3]), let name = f.last, name != "total" else { continue }
                let errors = f.count == 6 ? (UInt64(f[4]) ?? 0) : 0
                out[name, default: Counts(calls: 0, errors: 0)].calls += calls
                out[name, default: Counts(calls: 0, errors: 0)].errors += errors
            }
            return out
        }

        /// Runs argv under strace and under isoprobe (same environment, stdout a pipe in both,
        /// `reset` run before each) and compares.
        func compare(_ argv: [String], reset: () -> Void = {}) throws {
            try Requirements.requireKernelTestSetup()
            let strace = try Requirements.requireStrace()
            let env = smallEnvironment()
            let summary = temporaryPath("strace", ".txt")
            defer { try? FileManager.default.removeItem(atPath: summary) }

            reset()
            let traced = try runProcess(strace, ["-f", "-c", "-o", summary, "--"] + argv, environment: env,
                                        timeout: 120)
            try #require(traced.status == 0, "strace \(argv) exited \(traced.status): \(traced.stderr)")
            let straceCounts = Self.parseStraceSummary(try String(contentsOfFile: summary, encoding: .utf8))
            try #require(!straceCounts.isEmpty, "empty strace summary")

            reset()
            let r = try isoprobe(["run", "--quiet", "--"] + argv, timeout: 120, environment: env)
            try #require(r.process.status == 0, "isoprobe run -- \(argv) exited \(r.process.status): \(r.process.stderr)")
            let run = try #require(r.document?.runs.first, "no run in --json")
            #expect(run.exit.succeeded)
            var iso: [String: Counts] = [:]
            for s in run.syscalls { iso[s.name] = Counts(calls: s.count, errors: s.errors) }

            // strace -c counts a syscall when it returns; exit_group and exit never return,
            // so strace cannot list them. isoprobe may, at most once per task.
            let forks = ["clone", "clone3", "fork", "vfork"].reduce(UInt64(0)) { $0 + (straceCounts[$1]?.calls ?? 0) }
            let neverReturn: Set<String> = ["exit_group", "exit"]

            var problems: [(String, String, String, String)] = []
            for name in Set(straceCounts.keys).union(iso.keys).sorted() {
                let s = straceCounts[name] ?? Counts(calls: 0, errors: 0)
                let i = iso[name] ?? Counts(calls: 0, errors: 0)
                let allowed: String
                let ok: Bool
                if name == "execve" {
                    allowed = "±1"
                    ok = (s.calls > i.calls ? s.calls - i.calls : i.calls - s.calls) <= 1
                } else if Self.spawnPath.contains(name) {
                    allowed = "+0...\(Self.spawnPathSlack)"
                    ok = i.calls >= s.calls && i.calls - s.calls <= Self.spawnPathSlack && i.errors == s.errors
                } else if neverReturn.contains(name) && s.calls == 0 {
                    // isoprobe counts them on entry: one per process (exit_group) or thread (exit).
                    allowed = "0...\(forks + 1) (strace -c never lists it)"
                    ok = i.calls <= forks + 1
                } else {
                    allowed = "equal"
                    ok = i.calls == s.calls && i.errors == s.errors
                }
                if !ok {
                    problems.append((name, "\(s.calls) (\(s.errors) err)", "\(i.calls) (\(i.errors) err)", allowed))
                }
            }
            let table = ([("syscall", "strace", "isoprobe", "allowed")] + problems).map {
                $0.0.padding(toLength: 18, withPad: " ", startingAt: 0)
                    + $0.1.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + $0.2.padding(toLength: 16, withPad: " ", startingAt: 0) + $0.3
            }.joined(separator: "\n")
            if !problems.isEmpty {
                Issue.record("isoprobe and strace disagree on \(argv.joined(separator: " ")):\n\(table)")
            }
        }

        @Test func tar() throws {
            let tree = temporaryPath("tree")
            let archive = temporaryPath("archive", ".tar")
            defer {
                try? FileManager.default.removeItem(atPath: tree)
                try? FileManager.default.removeItem(atPath: archive)
            }
            // A small tree that surely exists: three folders, a dozen files of various sizes.
            for d in ["a", "a/b", "c"] {
                try FileManager.default.createDirectory(atPath: tree + "/" + d, withIntermediateDirectories: true)
            }
            for (i, d) in ["a", "a/b", "c", "a", "c", "a/b"].enumerated() {
                for j in 0..<2 {
                    let size = (i * 2 + j) * 3000 + 17
                    try Data(repeating: UInt8(65 + i), count: size).write(to: URL(fileURLWithPath: "\(tree)/\(d)/f\(i)\(j).txt"))
                }
            }
            let tar = try #require(Requirements.which("tar"), "tar not installed: apt-get install -y tar")
            try compare([tar, "cf", archive, "-C", tree, "."]) {
                try? FileManager.default.removeItem(atPath: archive)
            }
        }

        @Test func gzip() throws {
            let file = temporaryPath("gzip", ".bin")
            defer {
                try? FileManager.default.removeItem(atPath: file)
                try? FileManager.default.removeItem(atPath: file + ".gz")
            }
            var bytes = [UInt8](repeating: 0, count: 300_000)
            var x: UInt64 = 88172645463325252
            for k in bytes.indices {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17
                bytes[k] = k % 3 == 0 ? UInt8(truncatingIfNeeded: x) : UInt8(k % 7)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let gzip = try #require(Requirements.which("gzip"), "gzip not installed: apt-get install -y gzip")
            // -k keeps the input; the .gz goes before each run so both runs do the same work.
            try compare([gzip, "-k", "-f", file]) {
                try? FileManager.default.removeItem(atPath: file + ".gz")
            }
        }

        @Test func python() throws {
            // The interpreter itself, not a version-manager shim in front of it.
            let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
            let exe = try #require(python, "python3 not installed in /usr/bin: apt-get install -y python3")
            let script = """
                import os
                total = 0
                for p in ("/etc/hostname", "/etc/passwd", "/etc/os-release", "/etc/nosuch-isoprobe"):
                    try:
                        with open(p, "rb") as f:
                            total += len(f.read())
                    except OSError:
                        pass
                print(total, len(os.listdir("/etc")))
                """
            try compare([exe, "-c", script])
        }
    }
}

@Suite struct StraceSummaryParserTests {
    @Test func parserReadsStraceTable() {
        let sample = """
            % time     seconds  usecs/call     calls    errors syscall
            ------ ----------- ----------- --------- --------- ----------------
             42.05    0.001336          22        59           read
              5.98    0.000190           3        60        19 openat
              0.00    0.000000           0         1           execve
            ------ ----------- ----------- --------- --------- ----------------
            100.00    0.003177           8       120        19 total
            """
        let t = KernelTests.StraceAgreementTests.parseStraceSummary(sample)
        #expect(t.count == 3)
        #expect(t["read"]?.calls == 59 && t["read"]?.errors == 0)
        #expect(t["openat"]?.calls == 60 && t["openat"]?.errors == 19)
        #expect(t["total"] == nil)
    }
}
