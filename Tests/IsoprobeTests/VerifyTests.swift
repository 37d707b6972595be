import Foundation
import IsoprobeCore
import Harness
import OCI
import Testing
@testable import Verify

/// `isoprobe verify`: real guests, real canaries, the weakened control, and nothing left over.
extension KernelTests {
    @Suite struct VerifyTests {
        static var checker: String { Repo.root + "/build/workloads/boundaries" }

        static func requireChecker() throws {
            try Requirements.requireKernelTestSetup()
            try #require(access(checker, X_OK) == 0, "build/workloads/boundaries is not built: make checks")
        }

        /// Runs `isoprobe verify ARGS --json F --no-neighbours`, decodes the report and checks
        /// the leftovers, including every canary process and file of the run.
        static func verify(_ args: [String], timeout: Double = 300,
                           whileRunning: ((Foundation.Process) -> Void)? = nil) throws -> (ProcessResult, VerifyReport?) {
            try requireChecker()
            let json = temporaryPath("verify", ".json")
            defer { try? FileManager.default.removeItem(atPath: json) }
            let before = Leftovers.Snapshot.take()
            let result = try runProcess(Repo.binary, ["verify"] + args + ["--no-neighbours", "--json", json],
                                        timeout: timeout, whileRunning: whileRunning)
            #expect(!result.timedOut, "isoprobe verify \(args) did not finish within \(timeout) s")
            let report = FileManager.default.contents(atPath: json).flatMap { try? VerifyReport.decode($0) }
            try Leftovers.check(afterProcess: result.pid, targets: [], since: before)
            expectNoCanaries()
            return (result, report)
        }

        /// No planter process, ready file or secret file of any verify run remains.
        static func expectNoCanaries() {
            let planters = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> String? in
                guard Int32(name) != nil, let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
                let argv0 = String(decoding: data.split(separator: 0).first ?? [], as: UTF8.self)
                return argv0.hasPrefix("isoprobe-canary-") || argv0.hasSuffix("/boundaries") ? "\(name) \(argv0)" : nil
            }
            #expect(planters.isEmpty, "boundaries processes left running: \(planters)")
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [])
                .filter { $0.hasPrefix("isoprobe-canary-") || $0.hasPrefix("isoprobe-verify-") }
            #expect(files.isEmpty, "canary files left in /tmp: \(files)")
        }

        /// The library alone (no CLI): the container's checks and the control, in this process.
        @Test func containerVerificationInProcess() throws {
            try Self.requireChecker()
            var resources = try Resources.locate(probesDirectory: Repo.probesDirectory)
            resources.workloadsDirectory = Repo.workloadsDirectory
            let before = Leftovers.Snapshot.take()
            let report = try VerifyRun(target: .container(.init()), neighbours: false, agentBinary: Repo.binary)
                .run(resources: resources)
            let guest = try #require(report.guests.first)
            #expect(guest.breaches.map(\.id) == [], "\(guest.breaches.map { "\($0.id): \($0.evidence)" })")
            #expect(report.control?.controlFailures == [], "control held: \(report.control?.controlFailures ?? [])")
            // The capability tracepoint saw A refused what the hardened profile withholds.
            let caps = try #require(guest.observations.capabilities, "capability probe: \(guest.notes)")
            #expect(caps.contains { $0.capability == "CAP_SYS_ADMIN" && $0.refused > 0 }, "\(caps)")
            #expect(report.control?.observations.capabilities?.isEmpty == false)
            #expect(report.exitStatus == .success, "\(report.text())")
            Self.expectNoCanaries()
            #expect(Leftovers.newCgroups(since: before).isEmpty)
        }

        @Test func defaultContainerHoldsAndTheControlFails() throws {
            let (result, report) = try Self.verify(["--env", "container"])
            let r = try #require(report, "no JSON report; stderr: \(result.stderr)")
            let guest = try #require(r.guests.first)
            #expect(guest.breaches.map(\.id) == [], "\(guest.breaches.map { "\($0.id): \($0.evidence)" })")
            #expect(guest.mismatches.map(\.id) == [], "\(guest.mismatches.map { "\($0.id): \($0.evidence)" })")
            #expect(guest.checks.count == BoundaryCheck.all.count)
            // The host saw A being refused: the checker's dangerous calls fail with EPERM.
            #expect(guest.observations.refusedSyscalls.contains { $0.errno == "EPERM" })
            let control = try #require(r.control)
            for id in ["proc.see_host", "proc.signal_host", "net.reach_host", "priv.capabilities", "priv.seccomp"] {
                #expect(control.checks.first { $0.id == id }?.verdict == .fail, "control \(id) did not fail")
            }
            #expect(r.controlValid)
            #expect(result.status == 0, "exit \(result.status); stderr: \(result.stderr)")
        }

        @Test func userConfigWithoutPidNamespaceSeesTheHost() throws {
            var spec = try Spec.hardened(rootfs: "rootfs", args: ["/x"], userNamespace: false)
            spec.linux?.namespaces?.removeAll { $0.type == .pid }
            let config = temporaryPath("no-pidns", ".json")
            defer { try? FileManager.default.removeItem(atPath: config) }
            try spec.write(to: config)
            let (result, report) = try Self.verify(["--env", "container", "--oci-config", config])
            let guest = try #require(report?.guests.first, "no report; stderr: \(result.stderr)")
            let seeHost = try #require(guest.checks.first { $0.id == "proc.see_host" })
            #expect(seeHost.verdict == .fail, "A saw no host process: \(seeHost.evidence)")
            #expect(seeHost.expected.outcome == .fail && seeHost.matches)
            #expect(guest.mismatches.map(\.id) == [], "\(guest.mismatches.map { "\($0.id): \($0.evidence)" })")
            #expect(result.status == 0, "exit \(result.status); stderr: \(result.stderr)")
        }

        @Test(.enabled(if: VMRequirements.available || Requirements.inCI, "needs qemu-system-x86_64 and a guest kernel"))
        func vmHoldsEveryRequiredBoundary() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing")
            let (result, report) = try Self.verify(["--env", "vm"])
            let guest = try #require(report?.guests.first, "no report; stderr: \(result.stderr)")
            #expect(guest.breaches.map(\.id) == [], "\(guest.breaches.map { "\($0.id): \($0.evidence)" })")
            #expect(guest.checks.first { $0.id == "kernel.shared" }?.verdict == .pass)
            #expect(result.status == 0, "exit \(result.status); stderr: \(result.stderr)")
        }

        @Test func interruptedVerifyLeavesNothing() throws {
            let (result, _) = try Self.verify(["--env", "container"], timeout: 120) { process in
                // Once B's planter runs, the run is in the middle of everything it owns.
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline && !Self.planterRunning() { usleep(20_000) }
                usleep(300_000)
                kill(process.processIdentifier, SIGINT)
            }
            // 130: isoprobe's code for an interruption (128 + SIGINT).
            #expect(result.status == 130, "exit \(result.status) after SIGINT; stderr: \(result.stderr)")
        }

        static func planterRunning() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).contains { name in
                guard let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return false }
                return String(decoding: data.split(separator: 0).first ?? [], as: UTF8.self).hasPrefix("isoprobe-canary-")
            }
        }
    }
}
