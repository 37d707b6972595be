import Environments
import Foundation
import Harness
import IsoprobeCore
import KVM
import Testing
import VM
import VMEnvironment

extension KernelTests {
    /// `--env vm`: a real QEMU guest booting a real kernel, the agent inside measuring with
    /// the guest kernel's probes. A guest boots in about 4 s under TCG.
    @Suite(.enabled(if: VMRequirements.available || Requirements.inCI, "needs root, qemu-system-x86_64 and a guest kernel (make kernel)"))
    struct VMRunTests {
        /// Three environments, three repetitions: exact counts in each, and one guest serves
        /// all three VM runs (one console log, boot reported on the first run only).
        @Test func oneGuestServesEveryRunWithExactCounts() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let r = try isoprobe(["run", "--env", "native,container,vm", "--workload", "getpid:count=100000", "--reps", "3",
                                  "--quiet"], timeout: 240)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document, "no JSON; stderr: \(r.process.stderr)")
            // Rounds rotate the order: a Latin square over three rounds.
            #expect(doc.runs.map(\.environment) == ["native", "container", "vm", "container", "vm", "native", "vm", "native", "container"])
            for run in doc.runs {
                #expect(run.syscall("getpid")?.count == 100_000, "getpid in \(run.environment): \(run.syscall("getpid")?.count ?? 0)")
            }
            let vms = doc.runs.filter { $0.environment == "vm" }
            #expect(vms.allSatisfy { $0.probes.allSatisfy(\.attached) }, "\(vms.map(\.probes))")
            let details = vms.compactMap(\.details)
            #expect(details.count == 3 && details.allSatisfy { $0.guestMode == "persistent" })
            let logs = Set(details.compactMap(\.guestLog))
            #expect(logs.count == 1, "one guest should serve the three runs: \(logs)")
            #expect(details.map { $0.bootNs != nil } == [true, false, false], "boot is reported on the first run only")
            #expect((details.first?.bootNs ?? 0) > 0)
            let expected = KVMCalibration.shared.verdict.isUsable ? "kvm" : "tcg"
            #expect(details.allSatisfy { $0.accelerator == expected })
            #expect(details.allSatisfy { !($0.guestKernel ?? "").isEmpty })
            // The guest's clock: the TSC under TCG (not refined-jiffies, which steps by 4 ms and
            // loses time), kvm-clock under KVM.
            #expect(details.allSatisfy { ["tsc", "kvm-clock"].contains($0.guestClocksource ?? "") },
                    "guest clocksource: \(details.map { $0.guestClocksource ?? "none" })")
            #expect(vms.allSatisfy { $0.setupNs > 0 }, "the round trip beyond the workload is the VM's set-up")
            // Each run its own cgroup inside the guest.
            #expect(Set(vms.map(\.target.cgroupId)).count == 3)
            if let log = logs.first {
                let console = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(console.contains("isoprobe-agent: ready"), "the guest console went to \(log)")
                try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent)
            }
            // The host's view of the same run: the VMM's own syscalls and thread scheduling.
            for run in vms {
                let host = try #require(run.hostView, "no host view of QEMU")
                #expect(host.totalSyscalls > 0, "no VMM syscalls seen")
                #expect((host.sched?.contextSwitches.total ?? 0) > 0, "no VMM thread scheduling seen")
                #expect(host.target.cgroupPath.contains("isoprobe-vmm-"))
                #expect(!FileManager.default.fileExists(atPath: host.target.cgroupPath), "QEMU's cgroup was left behind")
            }
            // Nothing of the guest is left.
            let qemu = try runProcess("/usr/bin/pgrep", ["-f", "qemu-system-x86_64"])
            #expect(qemu.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "QEMU still running: \(qemu.stdout)")
        }

        /// Between runs the serving guest is paused (QEMU says so over QMP), so it takes no
        /// CPU from the other environments; the next run resumes it, in the same guest.
        @Test func theIdleGuestIsPausedBetweenRuns() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            try Requirements.requireKernelTestSetup()
            let resources = try Resources.locate(probesDirectory: Repo.probesDirectory)
            let runner = try Runner(resources: resources, agentBinary: Repo.binary)
            let vm = try VMEnvironment(options: .init(), agentBinary: Repo.binary, probesDirectory: Repo.probesDirectory)
            defer { vm.close() }
            let request = RunRequest(environments: [.vm], workloads: [], repetitions: 2)
            let spec = WorkloadSpec(name: "getpid", parameters: [("count", "1000")])
            #expect(try vm.guestIsRunning() == nil, "no guest before the first run")
            let first = try runner.measure(spec, in: vm, repetition: 1, request: request)
            #expect(try vm.guestIsRunning() == false, "the guest runs on between runs")
            let second = try runner.measure(spec, in: vm, repetition: 2, request: request)
            #expect(try vm.guestIsRunning() == false)
            #expect(vm.bootCount == 1)
            #expect([first, second].map { $0.result.syscall("getpid")?.count } == [1000, 1000])
            #expect(first.result.details?.bootNs != nil && second.result.details?.bootNs == nil)
        }

        /// `--vm-fresh`: a guest per run, each booted for it and reported with its boot;
        /// `--show-output` copies the guest workload's output as it does a native one's. A
        /// guest's workload writes to an ext4 scratch disk (virtio-blk, an image file on the
        /// host), not to its in-memory root, so fileio compares like with like: the same
        /// filesystem as the native run when the host's scratch base is ext4.
        @Test func freshGuestsPerRunWriteToTheirScratchDisks() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let r = try isoprobe(["run", "--env", "native,vm", "--workload", "fileio:count=20", "--reps", "2", "--vm-fresh",
                                  "--show-output"], timeout: 240)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document, "no JSON; stderr: \(r.process.stderr)")
            let vms = doc.runs.filter { $0.environment == "vm" }
            let native = try #require(doc.runs.first { $0.environment == "native" })
            #expect(vms.count == 2)
            let details = vms.compactMap(\.details)
            #expect(details.allSatisfy { $0.guestMode == "fresh" && ($0.bootNs ?? 0) > 0 }, "every fresh guest reports its boot")
            #expect(Set(details.compactMap(\.guestLog)).count == 2, "two runs, two guests")
            for (run, d) in zip(vms, details) {
                #expect((d.bootNs ?? 0) < run.setupNs, "a fresh guest's set-up includes its boot")
                #expect(run.workloadReport?.extra["fs"] == "ext4", "the guest wrote to \(run.workloadReport?.extra["fs"] ?? "?")")
                #expect(run.syscall("fsync")?.count == 20, "fsync in the guest: \(run.syscall("fsync")?.count ?? 0)")
            }
            if native.workloadReport?.extra["fs"] == "ext4" {
                #expect(!r.process.stdout.contains("wrote to different filesystems"), "\(r.process.stdout)")
            }
            #expect(!r.process.stderr.contains("no scratch disk"), "\(r.process.stderr)")
            // --show-output copies every run's output, the guest's too: four result lines.
            let echoed = r.process.stdout.split(separator: "\n").filter { $0.hasPrefix("isoprobe-workload name=fileio ops=20 ") }
            #expect(echoed.count == 4, "\(r.process.stdout)")
            for log in Set(details.compactMap(\.guestLog)) {
                try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent)
            }
        }

        /// `--accel kvm` runs under KVM where KVM is usable, and is refused at once, in one
        /// line with the reason, where it is not.
        @Test func kvmAsRequestedOrRefusedWithAReason() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            if KVMCalibration.shared.verdict.isUsable {
                let r = try isoprobe(["run", "--env", "vm", "--accel", "kvm", "--workload", "getpid:count=10", "--quiet"], timeout: 180)
                #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
                #expect(r.document?.runs.first?.details?.accelerator == "kvm")
                return
            }
            let started = Date()
            let r = try isoprobe(["run", "--env", "vm", "--accel", "kvm", "--workload", "getpid:count=10"], json: false)
            #expect(r.process.status == 3)
            #expect(Date().timeIntervalSince(started) < 30)
            let lines = r.process.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("KVM is not usable"), "\(r.process.stderr)")
        }
    }
}

enum VMRequirements {
    static var available: Bool {
        guard Requirements.rootAndBPF, VMEnvironment.qemuPath != nil else {
            return false
        }
        return (try? KernelLocator().locate()) != nil
    }
}
