import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// Interrupted and timed-out runs release what they made (the `isoprobe` helper checks
    /// for left cgroups, programs and tracefs mounts after every run).
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct CleanupTests {
        /// The workload's cgroup2 directory, while isoprobe `pid` runs it.
        func liveCgroup(of pid: Int32) -> String? {
            Leftovers.cgroups(of: pid, targets: []).first
        }

        @Test func sigintStopsTheRunAndReleasesEverything() throws {
            var sawCgroup = false
            var sawPrograms: [String] = []
            let start = Date()
            let r = try isoprobe(["run", "--workload", "sleep:ms=5000", "--quiet"], timeout: 30) { process in
                // ~1 s in, the workload sleeps in its cgroup under the probes.
                while Date().timeIntervalSince(start) < 1 {
                    if liveCgroup(of: process.processIdentifier) != nil { sawCgroup = true }
                    usleep(20_000)
                }
                // The leftover checks see the live run's cgroup and programs, so they would
                // see them left behind.
                sawPrograms = (try? Leftovers.programs(loadedSince: start)) ?? []
                process.interrupt()
            }
            #expect(sawCgroup, "the run's cgroup never appeared: the run did not start")
            #expect(!sawPrograms.isEmpty, "bpftool did not show the live run's programs")
            #expect(r.process.seconds < 4, "isoprobe ran \(r.process.seconds) s in all; SIGINT was sent at ~1 s")
            #expect(r.process.reason == .exit, "isoprobe died of a signal instead of exiting")
            #expect(r.process.status != 0)
            #expect(r.process.status == 130, "interrupted runs exit 130, got \(r.process.status): \(r.process.stderr)")
            #expect(r.process.stderr.contains("interrupted"), "\(r.process.stderr)")
            // What finished (the killed run) is saved, as interrupted rather than failed.
            let doc = try #require(r.document, "the interrupted run was not saved to --json")
            #expect(doc.runs.count == 1)
            #expect(doc.runs.allSatisfy { !$0.exit.succeeded })
            #expect(doc.runs.allSatisfy { $0.exit.kind == "interrupted" }, "\(doc.runs.map(\.exit))")
        }

        @Test func timeoutKillsTheWorkload() throws {
            let r = try isoprobe(["run", "--workload", "sleep:ms=5000", "--timeout", "1", "--quiet"], timeout: 30)
            #expect(r.process.status != 0, "a timed-out workload is a failed run")
            #expect(r.process.seconds < 4, "took \(r.process.seconds) s with --timeout 1")
            let run = try #require(r.document?.runs.first, "no run in --json; stderr: \(r.process.stderr)")
            #expect(run.exit.kind == "timeout", "exit: \(run.exit)")
            #expect(!run.exit.succeeded)
            #expect(run.wallNs >= 1_000_000_000 && run.wallNs < 3_000_000_000, "wall \(run.wallNs) ns")
            #expect(run.syscall("nanosleep")?.count ?? 0 <= 1)
        }

        /// A run whose workload leaves a child behind: the cgroup is killed and removed anyway.
        @Test func backgroundChildrenDoNotOutliveTheRun() throws {
            let r = try isoprobe(["run", "--quiet", "--", "sh", "-c", "sleep 30 & echo started"], timeout: 30)
            #expect(r.process.status == 0, "\(r.process.stderr)")
            #expect(r.process.seconds < 10, "isoprobe waited \(r.process.seconds) s for a background child")
            let run = try #require(r.document?.runs.first)
            #expect(run.exit.succeeded)
        }
    }
}
