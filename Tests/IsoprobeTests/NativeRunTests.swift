import Foundation
import IsoprobeCore
import Probes
import Testing

extension KernelTests {
    /// `isoprobe run --env native` on the fixture workloads: what the probes counted against
    /// what each workload is known to do (fixtures/workloads/README.md).
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct NativeRunTests {
        /// Runs one fixture workload and returns its single, successful, fully probed run.
        func run(_ workload: String, _ extra: [String] = [],
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
            let r = try isoprobe(["run", "--env", "native", "--workload", workload, "--quiet"] + extra,
                                 sourceLocation: sourceLocation)
            #expect(r.process.status == 0, "isoprobe exited \(r.process.status): \(r.process.stderr)",
                    sourceLocation: sourceLocation)
            let doc = try #require(r.document, "no --json document written; stderr: \(r.process.stderr)",
                                   sourceLocation: sourceLocation)
            try #require(doc.runs.count == 1, "expected one run, got \(doc.runs.count)", sourceLocation: sourceLocation)
            let run = doc.runs[0]
            #expect(run.environment == "native", sourceLocation: sourceLocation)
            #expect(run.exit.succeeded, "workload \(run.exit.description)", sourceLocation: sourceLocation)
            #expect(run.workload.spec == workload, sourceLocation: sourceLocation)
            #expect(run.repetition == 1, sourceLocation: sourceLocation)
            #expect(run.probes.map(\.family) == ProbeFamily.allCases.map(\.rawValue), sourceLocation: sourceLocation)
            for p in run.probes {
                #expect(p.attached, "\(p.family) probes not attached: \(p.detail ?? p.mode)", sourceLocation: sourceLocation)
            }
            #expect(run.eventsDropped == 0, sourceLocation: sourceLocation)
            // Every syscall's histogram holds exactly its calls; exit and exit_group never
            // return, so they are counted on entry with no latency (probes/syscalls.bpf.c).
            for s in run.syscalls {
                if s.name == "exit" || s.name == "exit_group" {
                    #expect(s.latencyHist.count <= s.count, sourceLocation: sourceLocation)
                } else {
                    #expect(s.latencyHist.count == s.count, "\(s.name): \(s.count) calls, histogram holds \(s.latencyHist.count)",
                            sourceLocation: sourceLocation)
                }
                #expect(s.errors == s.errnos.reduce(0) { $0 + $1.count }, "\(s.name): errors vs errnos",
                        sourceLocation: sourceLocation)
            }
            return run
        }

        func count(_ run: RunResult, _ syscall: String) -> UInt64 { run.syscall(syscall)?.count ?? 0 }

        @Test func getpid() throws {
            let run = try run("getpid:count=100000")
            let getpid = count(run, "getpid")
            #expect((100_000...100_010).contains(getpid), "getpid counted \(getpid) times")
            #expect(!run.syscalls.isEmpty)
            #expect(run.syscalls.first?.name == "getpid", "sorted by count, getpid first")
            #expect(run.syscall("getpid")?.errors == 0)
            // The fixture's own startup and exit: one execve, the brk calls of a static glibc.
            #expect(count(run, "execve") == 1)
            #expect(count(run, "exit_group") == 1)
            #expect(count(run, "write") >= 1)

            let sched = try #require(run.sched, "no scheduling figures")
            #expect(sched.oncpuSliceHist.count > 0, "no on-CPU slice recorded")
            #expect(sched.oncpuTotalNs > 0)
            let memory = try #require(run.memory, "no memory figures")
            #expect(memory.pageFaults.user > 0)
            #expect(memory.peakRssBytes > 0)
            // Two families see brk independently: the memory tracepoints and the syscall counter.
            let brk = try #require(memory.brk, "no brk figures (syscall tracepoints not attached)")
            #expect(brk.calls == count(run, "brk"), "memory probe saw \(brk.calls) brk, syscalls probe \(count(run, "brk"))")
            #expect(brk.growBytes > 0)

            let report = try #require(run.workloadReport, "no isoprobe-workload line parsed")
            #expect(report.ops == 100_000)
            #expect(run.workload.name == "getpid")
            #expect(run.workload.parameters == ["count": "100000"])
            #expect(run.workload.command.first == Repo.workloadsDirectory + "/getpid"
                    || run.workload.command.first?.hasSuffix("/workloads/getpid") == true)
            #expect(run.target.cgroupLevel == 1)
            #expect(run.target.cgroupId > 0)
            #expect((run.target.cgroupPath as NSString).lastPathComponent.hasPrefix("isoprobe-native-"))
        }

        @Test func pingpongContextSwitches() throws {
            let run = try run("pingpong:rounds=2000")
            let sched = try #require(run.sched)
            let switches = sched.contextSwitches.voluntary + sched.contextSwitches.involuntary
            #expect(switches >= 4000, "\(switches) context switches for 2000 round trips")
            #expect(sched.contextSwitches.voluntary > 0 && sched.wakeups > 0)
            #expect(sched.wakeupsNew >= 1, "the forked child")
            #expect(sched.runqueueLatencyHist.count > 0)
            #expect(count(run, "read") >= 4000 && count(run, "read") <= 4010)
            #expect(count(run, "write") >= 4000 && count(run, "write") <= 4010)
        }

        @Test func pagefaultPageFaults() throws {
            let pages: UInt64 = 5000
            let run = try run("pagefault:pages=\(pages)")
            let memory = try #require(run.memory)
            let faults = memory.pageFaults.user + memory.pageFaults.kernel
            #expect(faults >= pages, "\(faults) page faults for \(pages) pages")
            #expect(faults <= pages + 1000, "\(faults) page faults for \(pages) pages: the filter lets others' faults in?")
            let mmap = try #require(memory.mmap)
            #expect(mmap.calls == count(run, "mmap"))
            #expect(mmap.bytes >= pages * 4096)
            let munmap = try #require(memory.munmap)
            #expect(munmap.calls == count(run, "munmap"))
            #expect(munmap.bytes >= pages * 4096)
        }

        @Test func pipeReadsAndWrites() throws {
            let run = try run("pipe-rw:count=3000")
            #expect((3000...3010).contains(count(run, "read")), "read \(count(run, "read"))")
            #expect((3000...3010).contains(count(run, "write")), "write \(count(run, "write"))")
            #expect(count(run, "pipe2") == 1)
        }

        @Test func fileioFsyncs() throws {
            let run = try run("fileio:count=50")
            #expect(count(run, "fsync") == 50)
            #expect(count(run, "unlink") == 1)
            #expect((50...60).contains(count(run, "write")))
        }

        @Test func forkexecFollowsChildren() throws {
            let run = try run("forkexec:count=20")
            let sched = try #require(run.sched)
            #expect(sched.wakeupsNew >= 20, "wakeups_new \(sched.wakeupsNew) for 20 forks")
            #expect(count(run, "execve") >= 21, "execve \(count(run, "execve")): 20 children + the initial exec")
            #expect(count(run, "execve") <= 22)
            #expect(count(run, "wait4") >= 20)
            #expect(count(run, "clone") + count(run, "clone3") + count(run, "fork") + count(run, "vfork") >= 20)
        }

        /// Latencies are measured, not invented: a 200 ms sleep takes 200 ms, and is reported
        /// as a slow syscall (threshold 10 ms).
        @Test func sleepLatencyIsMeasured() throws {
            let run = try run("sleep:ms=200")
            let nanosleep = try #require(run.syscall("nanosleep"), "no nanosleep counted")
            #expect(nanosleep.count == 1)
            #expect(nanosleep.totalNs >= 200_000_000, "nanosleep of 200 ms measured as \(nanosleep.totalNs) ns")
            #expect(nanosleep.totalNs < 5_000_000_000)
            let slot = Log2Histogram.slot(for: nanosleep.totalNs)
            #expect(nanosleep.latencyHist.slots[slot] == 1, "the one call is in the histogram slot of its duration")
            let slow = run.slowSyscalls.filter { $0.name == "nanosleep" }
            #expect(slow.count == 1, "slow syscalls: \(run.slowSyscalls)")
            #expect((slow.first?.durationNs ?? 0) >= 200_000_000)
            #expect(slow.first?.comm == "sleep")
            #expect(run.wallNs >= 200_000_000)
        }

        /// Peak RSS is the workload's: a static 4-syscall program stays small, and memhog's
        /// touched pages all count. (ru_maxrss from wait4 would report isoprobe's own RSS,
        /// which the child had before its exec.)
        @Test func peakRssIsTheWorkloads() throws {
            let small = try run("getpid:count=10")
            let smallPeak = try #require(small.memory).peakRssBytes
            #expect(smallPeak > 0)
            #expect(smallPeak < 4 << 20, "peak RSS of the getpid fixture reported as \(smallPeak) bytes")

            let hog = try run("memhog:mib=64")
            let hogPeak = try #require(hog.memory).peakRssBytes
            #expect(hogPeak >= 64 << 20, "memhog touched 64 MiB, peak RSS reported as \(hogPeak) bytes")
            #expect(hogPeak < 80 << 20, "memhog touched 64 MiB, peak RSS reported as \(hogPeak) bytes")
        }

        /// Five threads of one process, blocking and migrating: per-syscall counts stay exact.
        @Test func threadedCountsAreExact() throws {
            let python = try #require(["/usr/bin/python3", "/usr/local/bin/python3"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }, "python3 not installed: apt-get install -y python3")
            let script = """
                import os, threading
                def spin():
                    for _ in range(20000):
                        os.getppid()
                def pong(r, w):
                    for _ in range(5000):
                        os.read(r, 1); os.write(w, b"x")
                a_r, a_w = os.pipe(); b_r, b_w = os.pipe()
                ts = [threading.Thread(target=spin) for _ in range(4)]
                ts.append(threading.Thread(target=pong, args=(a_r, b_w)))
                for t in ts: t.start()
                for _ in range(5000):
                    os.write(a_w, b"x"); os.read(b_r, 1)
                for t in ts: t.join()
                """
            let r = try isoprobe(["run", "--quiet", "--", python, "-c", script])
            #expect(r.process.status == 0, "\(r.process.stderr)")
            let run = try #require(r.document?.runs.first)
            #expect(run.exit.succeeded)
            #expect(count(run, "getppid") == 80_000)
            #expect(count(run, "write") == 10_000)
            #expect((10_000...10_200).contains(count(run, "read")), "read \(count(run, "read"))")
            #expect(count(run, "exit") == 5, "one exit per thread")
            #expect(count(run, "exit_group") == 1)
            let getppid = try #require(run.syscall("getppid"))
            #expect(getppid.latencyHist.count == getppid.count)
        }

        /// The probes count the target cgroup only: a process outside it making the same
        /// syscall at the same time adds nothing.
        @Test func otherProcessesAreNotCounted() throws {
            let (measured, overlapped) = try whileOutsideNoise("getpid", ["count=50000000"]) { try run("getpid:count=100000") }
            #expect(overlapped, "the outside getpid loop ended before the run: no overlap")
            #expect((100_000...100_010).contains(count(measured, "getpid")), "getpid counted \(count(measured, "getpid")) times")
        }

        /// The syscall probe names a thread by its kernel stack's register area, and a dead
        /// thread's stack is reused by the next fork: an outside process that forks and execs
        /// without pause while the target does the same must add nothing to the target's counts.
        @Test func forkChurnOutsideTheTargetIsNotCounted() throws {
            let (measured, overlapped) = try whileOutsideNoise("forkexec", ["count=100000000"]) { try run("forkexec:count=300") }
            #expect(overlapped, "the outside fork loop ended before the run: no overlap")
            #expect((301...302).contains(count(measured, "execve")), "execve \(count(measured, "execve")): 300 children + the initial exec")
            #expect((300...301).contains(count(measured, "wait4")), "wait4 \(count(measured, "wait4"))")
        }

        @Test func failingCommandIsRecorded() throws {
            let r = try isoprobe(["run", "--quiet", "--", "/bin/false"])
            #expect(r.process.status != 0, "isoprobe exited 0 for a failing workload")
            #expect(r.process.stderr.contains("exited with status 1"), "stderr: \(r.process.stderr)")
            let doc = try #require(r.document, "no --json document for a failed workload; stderr: \(r.process.stderr)")
            let run = try #require(doc.runs.first)
            #expect(doc.runs.count == 1)
            #expect(run.exit.kind == "exited")
            #expect(run.exit.code == 1)
            #expect(!run.exit.succeeded)
            #expect(run.workload.command == ["/bin/false"])
            #expect(count(run, "execve") == 1)
        }

        @Test func exitCodeOfAShellIsRecorded() throws {
            let r = try isoprobe(["run", "--quiet", "--", "sh", "-c", "exit 3"])
            #expect(r.process.status != 0)
            let run = try #require(r.document?.runs.first, "no run in --json; stderr: \(r.process.stderr)")
            #expect(run.exit.kind == "exited")
            #expect(run.exit.code == 3)
            #expect(run.exit.signal == nil)
        }

        @Test func repetitions() throws {
            let r = try isoprobe(["run", "--workload", "getpid:count=1000", "--reps", "3", "--quiet"])
            #expect(r.process.status == 0, "\(r.process.stderr)")
            let doc = try #require(r.document)
            #expect(doc.runs.count == 3)
            #expect(doc.runs.map(\.repetition) == [1, 2, 3])
            #expect(Set(doc.runs.map(\.target.cgroupPath)).count == 3, "each repetition gets its own cgroup")
            for run in doc.runs {
                #expect(run.exit.succeeded)
                #expect((1000...1010).contains(count(run, "getpid")), "rep \(run.repetition): \(count(run, "getpid"))")
            }
        }

        /// `--probes` loads only the families asked for; the others report nothing.
        @Test func probeSubset() throws {
            let r = try isoprobe(["run", "--workload", "getpid:count=1000", "--probes", "syscalls", "--quiet"])
            #expect(r.process.status == 0, "\(r.process.stderr)")
            let run = try #require(r.document?.runs.first)
            #expect(run.probes.map(\.family) == ["syscalls"])
            #expect(run.probes.first?.attached == true)
            #expect((1000...1010).contains(count(run, "getpid")))
            #expect(run.sched == nil)
            #expect(run.memory == nil)

            let none = try isoprobe(["run", "--workload", "getpid:count=1000", "--probes", "none", "--quiet"])
            #expect(none.process.status == 0, "\(none.process.stderr)")
            let bare = try #require(none.document?.runs.first)
            #expect(bare.probes.isEmpty)
            #expect(bare.syscalls.isEmpty)
            #expect(bare.workloadReport?.ops == 1000)
        }

        /// Without --quiet the text report goes to stdout; its syscall tables and histograms
        /// with --detail.
        @Test func textReport() throws {
            let r = try isoprobe(["run", "--workload", "getpid:count=1000", "--detail"], json: false)
            #expect(r.process.status == 0, "\(r.process.stderr)")
            #expect(r.process.stdout.contains("== native: getpid:count=1000"), "\(r.process.stdout)")
            #expect(r.process.stdout.contains("getpid"))
            #expect(r.process.stdout.contains("distribution"))
            let brief = try isoprobe(["run", "--workload", "getpid:count=1000"], json: false)
            #expect(brief.process.status == 0, "\(brief.process.stderr)")
            #expect(brief.process.stdout.split(separator: "\n").contains { $0.hasPrefix("  native ") && $0.contains("getpid:count=1000") },
                    "one line for the run: \(brief.process.stdout)")
            #expect(!brief.process.stdout.contains("distribution") && brief.process.stdout.contains("--detail"),
                    "\(brief.process.stdout)")
        }
    }
}
