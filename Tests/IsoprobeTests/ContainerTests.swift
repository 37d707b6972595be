import Foundation
import IsoprobeCore
import Probes
import Testing

extension KernelTests {
    /// `isoprobe run --env container`: workloads in OCI containers started by runc (and, for
    /// the exact counts, the limits and the clean-up, by crun too), under the same probes. What the probes count, what the limits do, what the hardened profile
    /// isolates (observed from inside the container), and that nothing of a container (cgroups
    /// in every hierarchy, runtime state, bundle, mounts, runtime processes) outlives its run:
    /// the `isoprobe` helper checks that after every run.
    @Suite(.enabled(if: (Requirements.rootAndBPF && Requirements.runc != nil) || Requirements.inCI,
                    "needs root, kernel BTF and runc (apt-get install -y runc)"))
    struct ContainerTests {
        /// `isoprobe run --env container [--runtime RUNTIME] ARGS`; runc is the default runtime.
        func container(_ arguments: [String], runtime: OCIRuntimeName = .runc, json: Bool = true, timeout: Double = 60,
                       whileRunning: ((Process) -> Void)? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> IsoprobeRun {
            _ = try Requirements.requireRuntime(runtime, sourceLocation: sourceLocation)
            let choice = runtime == .runc ? [] : ["--runtime", runtime.rawValue]
            return try isoprobe(["run", "--env", "container"] + choice + arguments, json: json, timeout: timeout,
                                whileRunning: whileRunning, sourceLocation: sourceLocation)
        }

        /// The one run of a document; `succeeded`: isoprobe exited 0 and so did the workload.
        func onlyRun(_ r: IsoprobeRun, succeeded: Bool = true,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
            if succeeded {
                #expect(r.process.status == 0, "isoprobe exited \(r.process.status): \(r.process.stderr)",
                        sourceLocation: sourceLocation)
            }
            let doc = try #require(r.document, "no --json document written; stderr: \(r.process.stderr)",
                                   sourceLocation: sourceLocation)
            try #require(doc.runs.count == 1, "expected one run, got \(doc.runs.count)", sourceLocation: sourceLocation)
            let run = doc.runs[0]
            #expect(run.environment == "container", sourceLocation: sourceLocation)
            if succeeded {
                #expect(run.exit.succeeded, "workload \(run.exit.description); stderr: \(r.process.stderr)",
                        sourceLocation: sourceLocation)
            }
            return run
        }

        /// The one stderr line of a run refused before it started, with nothing on stdout
        /// and no --json document.
        func oneLine(_ r: IsoprobeRun, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            #expect(r.process.stdout.isEmpty, "stdout: \(r.process.stdout)", sourceLocation: sourceLocation)
            #expect(r.document == nil, "no --json document for a run that never started", sourceLocation: sourceLocation)
            let lines = r.process.stderrLines
            try #require(lines.count == 1, "want exactly one stderr line, got \(lines.count):\n\(r.process.stderr)",
                         sourceLocation: sourceLocation)
            #expect(lines[0].hasPrefix("isoprobe: "), sourceLocation: sourceLocation)
            return lines[0]
        }

        func count(_ run: RunResult, _ syscall: String) -> UInt64 { run.syscall(syscall)?.count ?? 0 }

        func details(_ run: RunResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> EnvironmentDetails {
            try #require(run.details, "a container run without details (runtime, limits, profile)",
                         sourceLocation: sourceLocation)
        }

        /// `key=value` lines of a workload's output (later keys win).
        func keyValues(_ text: String) -> [String: String] {
            var out: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let kv = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                if kv.count == 2 { out[kv[0]] = kv[1] }
            }
            return out
        }

        // MARK: - Measurements

        @Test(arguments: OCIRuntimeName.allCases) func getpidInAContainer(runtime: OCIRuntimeName) throws {
            let r = try container(["--workload", "getpid:count=100000", "--quiet"], runtime: runtime)
            let run = try onlyRun(r)
            let getpid = count(run, "getpid")
            #expect((100_000...100_010).contains(getpid), "getpid counted \(getpid) times")
            #expect(run.workloadReport?.ops == 100_000)
            // The probes are attached before runc execs the workload: they see that exec.
            #expect(count(run, "execve") == 1, "execve counted \(count(run, "execve")) times")
            #expect(run.probes.map(\.family) == ProbeFamily.allCases.map(\.rawValue))
            for p in run.probes {
                #expect(p.attached, "\(p.family) probes not attached: \(p.detail ?? p.mode)")
            }
            #expect(run.eventsDropped == 0)
            let sched = try #require(run.sched, "no scheduling figures")
            #expect(sched.oncpuTotalNs > 0)
            let memory = try #require(run.memory, "no memory figures")
            #expect(memory.pageFaults.user > 0)
            #expect(memory.peakRssBytes > 0 && memory.peakRssBytes < 4 << 20, "peak RSS \(memory.peakRssBytes)")

            let details = try details(run)
            let used = try #require(details.runtime, "no runtime in details")
            #expect(used.name == runtime.rawValue)
            #expect(!used.version.isEmpty && used.version != "unknown", "runtime version '\(used.version)'")
            #expect(used.version.contains { $0.isNumber }, "runtime version '\(used.version)' has no number")
            #expect(FileManager.default.isExecutableFile(atPath: used.path), "runtime path \(used.path)")
            #expect(details.limits == nil, "no limits were asked for: \(String(describing: details.limits))")
            #expect(details.limitEvents?.oomKills ?? 0 == 0)
            #expect(details.limitEvents?.pidsLimitHits ?? 0 == 0)
            let profile = details.profile ?? []
            #expect(profile.contains { $0.hasPrefix("seccomp: default") }, "profile: \(profile)")
            #expect(profile.contains { $0.hasPrefix("no_new_privs: yes; root filesystem: read-only") }, "profile: \(profile)")

            #expect(run.setupNs > 0, "set-up \(run.setupNs) ns")
            #expect(run.teardownNs > 0, "tear-down \(run.teardownNs) ns")
            #expect(run.setupNs < 10_000_000_000 && run.teardownNs < 10_000_000_000)
            #expect(run.wallNs > 0)
            let cgroup = (run.target.cgroupPath as NSString).lastPathComponent
            #expect(cgroup.hasPrefix("isoprobe-ctr-\(r.process.pid)-"), "target \(run.target.cgroupPath)")
            #expect(run.target.cgroupId > 0)
            #expect(run.target.cgroupLevel == 1)
            #expect(run.workload.command.first?.hasSuffix("/getpid") == true, "\(run.workload.command)")
        }

        /// The probes count the container's cgroup only: a process outside making the same
        /// syscall at the same time adds nothing.
        @Test func otherProcessesAreNotCounted() throws {
            let (run, overlapped) = try whileOutsideNoise("getpid", ["count=50000000"]) {
                try onlyRun(try container(["--workload", "getpid:count=20000", "--quiet"]))
            }
            #expect(overlapped, "the outside getpid loop ended before the run: no overlap")
            #expect((20_000...20_010).contains(count(run, "getpid")), "getpid counted \(count(run, "getpid")) times")
        }

        /// Two environments, two rounds: interleaved, the order turned round in the second, compared in the text report.
        @Test func nativeAndContainerSideBySide() throws {
            _ = try Requirements.requireRunc()
            let r = try isoprobe(["run", "--env", "native,container", "--workload", "getpid:count=20000", "--reps", "2", "--detail"])
            #expect(r.process.status == 0, "isoprobe exited \(r.process.status): \(r.process.stderr)")
            let doc = try #require(r.document, "no --json document; stderr: \(r.process.stderr)")
            #expect(doc.runs.map(\.environment) == ["native", "container", "container", "native"])
            #expect(doc.runs.map(\.repetition) == [1, 1, 2, 2])
            #expect(Set(doc.runs.map(\.target.cgroupPath)).count == 4, "each run gets its own cgroup")
            for run in doc.runs {
                #expect(run.exit.succeeded, "\(run.environment) rep \(run.repetition): \(run.exit.description)")
                #expect((20_000...20_010).contains(count(run, "getpid")),
                        "\(run.environment) rep \(run.repetition): getpid \(count(run, "getpid"))")
                if run.environment == "container" {
                    #expect(run.details?.runtime?.name == "runc")
                }
            }
            let text = r.process.stdout
            // The answer first: the container's ratio and verdict on the first screen.
            let firstScreen = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(40)
            let answer = try #require(firstScreen.first { line in
                ["getpid:count=20000", "container", "ns per op", "(n=2)"].allSatisfy { line.contains($0) }
            }, "\(text)")
            #expect(["slower", "faster", "within ±5%", "unresolved"].contains { answer.contains($0) }, "\(answer)")
            #expect(text.contains("side by side"), "\(text)")
            #expect(text.contains("container/native"), "\(text)")
            #expect(text.contains("== container: getpid:count=20000"), "\(text)")
            #expect(text.contains("runtime: runc"), "\(text)")
            #expect(r.process.stderr.contains("[4/4]"), "progress lines: \(r.process.stderr)")
        }

        /// fileio writes to a scratch directory on the host's disk in both environments (the
        /// container's own /tmp is a tmpfs, where fsync costs nothing), so the two compare
        /// isolation, not storage; the directories are gone afterwards (the leftover check).
        @Test func fileioWritesToTheSameStorageNativelyAndInAContainer() throws {
            _ = try Requirements.requireRunc()
            let r = try isoprobe(["run", "--env", "native,container", "--workload", "fileio:count=20"])
            #expect(r.process.status == 0, "isoprobe exited \(r.process.status): \(r.process.stderr)")
            let doc = try #require(r.document, "no --json document; stderr: \(r.process.stderr)")
            let fs = doc.runs.map { $0.workloadReport?.extra["fs"] }
            #expect(fs.count == 2 && fs[0] != nil && fs[0] == fs[1], "filesystems written to: \(fs)")
            // The scratch base's filesystem, from the test's side: the deepest mount holding it.
            let base = Leftovers.scratchBase
            let holder = Leftovers.mounts().filter { base == $0.mountPoint || base.hasPrefix($0.mountPoint == "/" ? "/" : $0.mountPoint + "/") }
                .max { $0.mountPoint.count < $1.mountPoint.count }
            if let holder, holder.fstype != "tmpfs" {
                #expect(!fs.contains("tmpfs"), "scratch base \(base) is on \(holder.fstype), runs wrote to \(fs)")
            }
            for run in doc.runs {
                #expect(count(run, "fsync") == 20, "\(run.environment): fsync \(count(run, "fsync"))")
            }
            #expect(!r.process.stdout.contains("wrote to different filesystems"), "\(r.process.stdout)")
        }

        /// What the hardened profile isolates, as the workload sees it from inside.
        @Test func isolationSeenFromInside() throws {
            // sh builtins where possible: only `touch` comes from the host's /usr.
            let script = """
                n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo procs=$n
                echo self_pid=$$
                ifs=; while IFS=: read -r name rest; do [ -n "$rest" ] && ifs="$ifs${name##* },"; done < /proc/net/dev
                echo "ifaces=$ifs"
                read -r h < /proc/sys/kernel/hostname; echo "hostname=$h"
                while IFS=: read -r k v; do
                    case "$k" in Seccomp|CapEff|NoNewPrivs) set -- $v; echo "$k=$1";; esac
                done < /proc/self/status
                while IFS= read -r line; do case "$line" in 0::*) echo "cgroup=${line#0::}";; esac; done < /proc/self/cgroup
                msg=$(touch /probe-ro 2>&1); echo "root_write_rc=$?"; echo "root_write_err=$msg"
                touch /tmp/x; echo "tmp_write_rc=$?"
                read -r a b c < /proc/self/uid_map; echo "uid_map=$a,$b,$c"
                """
            let r = try container(["--show-output", "--quiet", "--", "/bin/sh", "-c", script])
            let run = try onlyRun(r)
            let seen = keyValues(r.process.stdout)

            let procs = Int(seen["procs"] ?? "") ?? -1
            #expect((1...5).contains(procs), "pid namespace: /proc lists \(procs) processes (want only the container's, <= 5)")
            #expect(seen["self_pid"] == "1", "pid namespace: the workload is pid \(seen["self_pid"] ?? "?"), not 1")
            #expect(seen["ifaces"] == "lo,", "network namespace: interfaces \(seen["ifaces"] ?? "?") (want only lo)")
            let hostHostname = (try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(seen["hostname"] == "isoprobe", "uts namespace: hostname \(seen["hostname"] ?? "?")")
            #expect(seen["hostname"] != hostHostname, "uts namespace: the container has the host's hostname")
            #expect(seen["Seccomp"] == "2", "seccomp: Seccomp \(seen["Seccomp"] ?? "?") (2 = filter)")
            let capEff = UInt64(seen["CapEff"] ?? "", radix: 16)
            #expect(capEff != nil, "capabilities: CapEff '\(seen["CapEff"] ?? "?")' unreadable")
            #expect((capEff ?? ~0) & (1 << 21) == 0, "capabilities: CAP_SYS_ADMIN in CapEff \(seen["CapEff"] ?? "?")")
            #expect(capEff == 0, "capabilities: CapEff \(seen["CapEff"] ?? "?") (want none)")
            #expect(seen["NoNewPrivs"] == "1", "no_new_privs: NoNewPrivs \(seen["NoNewPrivs"] ?? "?")")
            #expect(seen["cgroup"] == "/", "cgroup namespace: the workload sees its cgroup as \(seen["cgroup"] ?? "?")")
            #expect(seen["root_write_rc"] != nil && seen["root_write_rc"] != "0",
                    "read-only root: touch /probe-ro succeeded (rc \(seen["root_write_rc"] ?? "?"))")
            #expect(seen["root_write_err"]?.contains("Read-only file system") == true,
                    "read-only root: touch /probe-ro failed with '\(seen["root_write_err"] ?? "?")', not EROFS")
            #expect(seen["tmp_write_rc"] == "0", "writable /tmp: touch /tmp/x rc \(seen["tmp_write_rc"] ?? "?")")
            let map = (seen["uid_map"] ?? "").split(separator: ",").map(String.init)
            #expect(map.count == 3 && map[0] == "0" && map[1] == "100000",
                    "user namespace: uid_map \(seen["uid_map"] ?? "?") (want 0 -> 100000)")
            #expect(FileManager.default.fileExists(atPath: "/probe-ro") == false, "the write went to the host's root")

            // The profile isoprobe reports is the one the workload saw.
            let profile = try details(run).profile ?? []
            #expect(profile.contains { $0.contains("container root is host uid 100000") }, "profile: \(profile)")
            #expect(profile.contains { $0.hasPrefix("capabilities after exec: none") }, "profile: \(profile)")
        }

        /// `--userns off`: no user namespace, container root is host root, and the profile says so.
        @Test func userNamespaceOff() throws {
            let script = #"read -r a b c < /proc/self/uid_map; echo "uid_map=$a,$b,$c""#
            let r = try container(["--userns", "off", "--show-output", "--quiet", "--", "/bin/sh", "-c", script])
            let run = try onlyRun(r)
            #expect(keyValues(r.process.stdout)["uid_map"] == "0,0,4294967295", "stdout: \(r.process.stdout)")
            let profile = try details(run).profile ?? []
            #expect(profile.contains { $0.contains("container root is host root (no user namespace)") }, "profile: \(profile)")
        }

        /// A command's exit code comes back as the workload's, not the runtime's.
        @Test func exitCodeOfTheWorkload() throws {
            let r = try container(["--quiet", "--", "/bin/sh", "-c", "exit 3"])
            #expect(r.process.status == 4, "a failed workload exits 4, got \(r.process.status)")
            let run = try onlyRun(r, succeeded: false)
            #expect(run.exit.kind == "exited", "\(run.exit)")
            #expect(run.exit.code == 3, "\(run.exit)")

            // `runc run` passes a signal death on as 128+N, which isoprobe decodes; an exit
            // status above 128 is then read as a signal (ContainerEnvironment.describeRuntimeExit).
            let high = try container(["--quiet", "--", "/bin/sh", "-c", "exit 143"])
            let highRun = try onlyRun(high, succeeded: false)
            // runc run folds it into 128+15; the probes' record of the first process's own exit decides.
            #expect(highRun.exit.kind == "exited" && highRun.exit.code == 143, "\(highRun.exit)")
        }

        // MARK: - Limits

        @Test(arguments: OCIRuntimeName.allCases) func memoryLimitOOMKills(runtime: OCIRuntimeName) throws {
            let r = try container(["--memory", "64M", "--workload", "memhog:mib=256", "--quiet"], runtime: runtime)
            #expect(r.process.status == 4, "an OOM-killed workload is a failed run (exit 4), got \(r.process.status): \(r.process.stderr)")
            #expect(r.process.stderr.contains("OOM"), "stderr: \(r.process.stderr)")
            let run = try onlyRun(r, succeeded: false)
            #expect(run.exit.kind == "oom_killed", "exit: \(run.exit)")
            #expect(run.exit.signal == SIGKILL)
            #expect(!run.exit.succeeded)
            #expect(run.workloadReport == nil, "memhog printed its result line: it was not killed")
            let details = try details(run)
            #expect(details.limits?.memoryBytes == 67_108_864, "limits: \(String(describing: details.limits))")
            #expect(details.limits?.cpus == nil && details.limits?.pids == nil)
            #expect((details.limitEvents?.oomKills ?? 0) >= 1, "limit events: \(String(describing: details.limitEvents))")
            #expect((details.profile ?? []).contains { $0.contains("memory 67108864 bytes (no swap)") },
                    "profile: \(details.profile ?? [])")
            // Held to the limit: it reached it, and no more (no swap).
            let peak = try #require(run.memory).peakRssBytes
            #expect(peak >= 32 << 20 && peak <= 66 << 20, "peak RSS \(peak) bytes under a 64 MiB limit")
        }

        @Test(arguments: OCIRuntimeName.allCases) func pidsLimitRefusesForks(runtime: OCIRuntimeName) throws {
            let r = try container(["--pids", "32", "--workload", "forkbomb:count=64,hold_ms=300", "--quiet"], runtime: runtime)
            let run = try onlyRun(r)
            let report = try #require(run.workloadReport, "no forkbomb result line")
            let forked = try #require(report.extra["forked"].flatMap(Int.init), "extra: \(report.extra)")
            let refused = try #require(report.extra["refused"].flatMap(Int.init), "extra: \(report.extra)")
            #expect(forked + refused == 64)
            #expect(forked <= 31, "\(forked) forks succeeded under --pids 32 (the parent is one of the 32)")
            #expect(refused >= 1)
            let details = try details(run)
            #expect(details.limits?.pids == 32)
            #expect((details.limitEvents?.pidsLimitHits ?? 0) >= 1, "limit events: \(String(describing: details.limitEvents))")
            // The probes saw every attempt and each refusal.
            let clone = try #require(run.syscall("clone"), "no clone counted")
            #expect(clone.count >= 64 && clone.count <= 66, "clone counted \(clone.count) times for 64 attempts")
            let eagain = clone.errnos.first { $0.errno == "EAGAIN" }?.count ?? 0
            #expect(eagain == UInt64(refused), "probes saw \(eagain) clone EAGAIN, the workload \(refused) refusals")
        }

        /// Half a CPU: the workload gets ~50 ms of every 100 ms period, so wall time is about
        /// twice its CPU time.
        @Test func cpuQuotaStretchesWallTime() throws {
            let r = try container(["--cpus", "0.5", "--workload", "compute:iterations=200000000", "--quiet"])
            let run = try onlyRun(r)
            let cpu = run.cpuUserNs + run.cpuSystemNs
            #expect(cpu >= 150_000_000, "CPU time \(cpu) ns: the workload is too short to see the quota")
            let ratio = Double(run.wallNs) / Double(max(cpu, 1))
            #expect(ratio >= 1.5, "wall \(run.wallNs) ns for \(cpu) ns CPU under --cpus 0.5: ratio \(ratio)")
            #expect(ratio < 4, "wall/CPU ratio \(ratio)")
            let details = try details(run)
            #expect(details.limits?.cpus == 0.5)
            #expect((details.profile ?? []).contains { $0.contains("cpu 0.5 CPUs (50000/100000 us)") },
                    "profile: \(details.profile ?? [])")
        }

        /// A quota the kernel refuses (under 1 ms per 100 ms period) is refused before runc runs.
        @Test func cpuLimitBelowTheKernelMinimum() throws {
            let r = try container(["--cpus", "0.001", "--workload", "getpid:count=10", "--quiet"])
            #expect(r.process.status != 0)
            let line = try oneLine(r)
            #expect(line.contains("cpus") && line.contains("0.01"), "\(line)")
            #expect(r.process.status == 2, "a bad flag value is a usage error (exit 2), got \(r.process.status)")
            #expect(line.contains("--cpus"), "\(line)")
        }

        // MARK: - A user's config.json

        /// `runc spec` in a temporary directory, made non-interactive; returns the config's path.
        func runcSpec(_ edit: (inout [String: Any]) -> Void = { _ in },
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let runc = try Requirements.requireRunc(sourceLocation: sourceLocation)
            let dir = temporaryPath("ocispec")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let made = try runProcess(runc, ["spec"], directory: dir, timeout: 30)
            try #require(made.status == 0, "runc spec failed: \(made.stderr)", sourceLocation: sourceLocation)
            let path = dir + "/config.json"
            let data = try #require(FileManager.default.contents(atPath: path), "runc spec wrote no config.json",
                                    sourceLocation: sourceLocation)
            var config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any],
                                      sourceLocation: sourceLocation)
            var process = config["process"] as? [String: Any] ?? [:]
            process["terminal"] = false
            config["process"] = process
            var root = config["root"] as? [String: Any] ?? [:]
            root["readonly"] = true
            config["root"] = root
            edit(&config)
            try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: path))
            return path
        }

        @Test func userConfigRunsAsGiven() throws {
            let path = try runcSpec()
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            let before = FileManager.default.contents(atPath: path)
            let r = try container(["--oci-config", path, "--workload", "getpid:count=1000", "--quiet"])
            let run = try onlyRun(r)
            #expect((1000...1010).contains(count(run, "getpid")), "getpid counted \(count(run, "getpid")) times")
            #expect(run.workloadReport?.ops == 1000)
            #expect(run.probes.allSatisfy { $0.attached }, "\(run.probes)")
            let profile = try details(run).profile ?? []
            // runc spec's defaults: no seccomp, no user namespace, three capabilities.
            #expect(profile.contains("seccomp: none (every syscall allowed)"), "profile: \(profile)")
            #expect(profile.contains { $0.contains("container root is host root (no user namespace)") }, "profile: \(profile)")
            #expect(profile.contains { $0.hasPrefix("capabilities after exec: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE") },
                    "profile: \(profile)")
            #expect(FileManager.default.contents(atPath: path) == before, "isoprobe changed the user's config.json")
            #expect((run.target.cgroupPath as NSString).lastPathComponent.hasPrefix("isoprobe-ctr-\(r.process.pid)-"),
                    "a config without cgroupsPath gets isoprobe's: \(run.target.cgroupPath)")
        }

        @Test func userConfigRefusesLimitFlags() throws {
            let path = try runcSpec()
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            let r = try container(["--oci-config", path, "--memory", "64M", "--workload", "getpid:count=10", "--quiet"])
            #expect(r.process.status == 2, "usage error exits 2, got \(r.process.status)")
            let line = try oneLine(r)
            #expect(line.contains("--oci-config") && line.contains("--memory"), "\(line)")
        }

        @Test func malformedUserConfig() throws {
            let path = try runcSpec { config in
                var process = config["process"] as? [String: Any] ?? [:]
                process["args"] = "sh"
                config["process"] = process
            }
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            let r = try container(["--oci-config", path, "--workload", "getpid:count=10", "--quiet"])
            #expect(r.process.status != 0)
            let line = try oneLine(r)
            #expect(line.contains("process.args"), "\(line)")
            #expect(line.contains(path), "names the file: \(line)")
        }

        @Test func unknownRuntime() throws {
            let r = try container(["--runtime", "nosuchruntime", "--workload", "getpid:count=10", "--quiet"])
            #expect(r.process.status == 3, "a missing runtime exits 3, got \(r.process.status)")
            let line = try oneLine(r)
            #expect(line.contains("nosuchruntime"), "\(line)")
        }

        // MARK: - Clean-up

        /// What of isoprobe `pid`'s container is alive now: each is one the leftover checks
        /// look for, so seeing them live shows the checks would see them left behind.
        struct LivePieces {
            var unifiedCgroup = false
            var v1Cgroup = false
            var runtimeState = false
            var bundle = false
            var runtimeProcess = false

            mutating func look(pid: Int32) {
                let cgroups = Leftovers.cgroups(of: pid, targets: [])
                let unified = Leftovers.cgroup2Mount().map { $0 + "/" } ?? "\u{0}"
                if cgroups.contains(where: { $0.hasPrefix(unified) }) { unifiedCgroup = true }
                if cgroups.contains(where: { !$0.hasPrefix(unified) }) { v1Cgroup = true }
                if Leftovers.runtimeStates().contains(where: { Leftovers.owner(of: $0) == pid }) { runtimeState = true }
                if Leftovers.bundles().contains(where: { Leftovers.bundle($0, isOf: pid) == true }) { bundle = true }
                if !Leftovers.containerProcesses(of: pid).isEmpty { runtimeProcess = true }
            }
        }

        @Test(arguments: OCIRuntimeName.allCases) func sigintStopsTheContainerAndReleasesEverything(runtime: OCIRuntimeName) throws {
            var live = LivePieces()
            let start = Date()
            let r = try container(["--workload", "sleep:ms=5000", "--quiet"], runtime: runtime, timeout: 30) { process in
                while Date().timeIntervalSince(start) < 1.5 {
                    live.look(pid: process.processIdentifier)
                    usleep(20_000)
                }
                process.interrupt()
            }
            #expect(live.unifiedCgroup, "the container's cgroup2 directory never appeared: the run did not start")
            if Leftovers.cgroupMounts().count > 1 {
                #expect(live.v1Cgroup, "no v1 cgroup of the container seen on this hybrid host")
            }
            #expect(live.runtimeState, "no runtime state directory seen under \(Leftovers.runtimeStateBase)")
            #expect(live.bundle, "no bundle directory seen")
            #expect(live.runtimeProcess, "no runtime process naming the container seen")
            #expect(r.process.seconds < 5, "isoprobe ran \(r.process.seconds) s in all; SIGINT was sent at ~1.5 s")
            #expect(r.process.reason == .exit, "isoprobe died of a signal instead of exiting")
            #expect(r.process.status == 130, "interrupted runs exit 130, got \(r.process.status): \(r.process.stderr)")
            #expect(r.process.stderr.contains("interrupted"), "\(r.process.stderr)")
            if let doc = r.document {
                #expect(doc.runs.allSatisfy { !$0.exit.succeeded })
            }
        }

        @Test(arguments: OCIRuntimeName.allCases) func timeoutKillsTheContainer(runtime: OCIRuntimeName) throws {
            let r = try container(["--workload", "sleep:ms=5000", "--timeout", "1", "--quiet"], runtime: runtime, timeout: 30)
            #expect(r.process.status == 4, "a timed-out workload is a failed run (exit 4), got \(r.process.status)")
            #expect(r.process.seconds < 4, "took \(r.process.seconds) s with --timeout 1")
            let run = try onlyRun(r, succeeded: false)
            #expect(run.exit.kind == "timeout", "exit: \(run.exit)")
            #expect(!run.exit.succeeded)
            #expect(run.wallNs >= 1_000_000_000 && run.wallNs < 3_000_000_000, "wall \(run.wallNs) ns")
        }

        /// A workload that leaves a child behind: the container goes, child and all.
        @Test(arguments: OCIRuntimeName.allCases) func backgroundChildrenDoNotOutliveTheContainer(runtime: OCIRuntimeName) throws {
            let r = try container(["--quiet", "--", "/bin/sh", "-c", "sleep 30 & echo started"], runtime: runtime, timeout: 30)
            let run = try onlyRun(r)
            #expect(r.process.seconds < 10, "isoprobe waited \(r.process.seconds) s for a background child")
            #expect(run.exit.succeeded)
        }

        /// `bench container-start` runs both kinds of bundle, each with the bare runtime and
        /// through isoprobe, and leaves nothing (the figures are for BENCHMARKS.md, not here).
        @Test func containerStartBenchRunsBothKinds() throws {
            _ = try Requirements.requireRunc()
            try Requirements.requireKernelTestSetup()
            let before = Leftovers.Snapshot.take()
            let r = try runProcess(Repo.binary, ["bench", "container-start", "--reps", "2"], timeout: 60)
            #expect(r.status == 0, "bench exited \(r.status): \(r.stderr)")
            for kind in ["fixture (getpid:count=1)", "command (/bin/true)"] {
                #expect(r.stdout.contains("container start to exit, \(kind), same bundle, median of 2"), "\(r.stdout)")
            }
            let ratios = r.stdout.split(separator: "\n").filter { $0.hasPrefix("isoprobe / bare: ") }
            #expect(ratios.count == 2, "\(r.stdout)")
            for line in ratios {
                let value = Double(line.dropFirst("isoprobe / bare: ".count).prefix { $0 != "x" }) ?? 0
                #expect(value > 0.2 && value < 5, "an implausible ratio: \(line)")
            }
            try Leftovers.check(afterProcess: r.pid, targets: [], since: before)
        }
    }
}
