import Foundation
import IsoprobeCore
import KVM
import Testing
import VM
import VMEnvironment

extension KernelTests {
    /// `--env vm`: a real QEMU guest booting a real kernel, the agent inside measuring with
    /// the guest kernel's probes. One boot; it costs about 4 s under TCG.
    @Suite(.enabled(if: VMRequirements.available || Requirements.inCI, "needs root, qemu-system-x86_64 and a guest kernel (make kernel)"))
    struct VMRunTests {
        @Test func getpidCountedByTheGuestsProbes() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let r = try isoprobe(["run", "--env", "vm", "--workload", "getpid:count=100000", "--quiet"], timeout: 180)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document, "no JSON; stderr: \(r.process.stderr)")
            let run = try #require(doc.runs.first)
            #expect(doc.runs.count == 1)
            #expect(run.environment == "vm")
            let getpid = run.syscall("getpid")?.count ?? 0
            #expect((100_000...100_010).contains(getpid), "getpid counted \(getpid) times in the guest")
            #expect(run.probes.allSatisfy { $0.attached }, "\(run.probes)")
            let details = try #require(run.details)
            let expected = KVMCalibration.shared.verdict.isUsable ? "kvm" : "tcg"
            #expect(details.accelerator == expected)
            #expect(!(details.guestKernel ?? "").isEmpty)
            #expect(run.setupNs > 0, "boot time is reported apart from the workload's")
            let boot = try #require(details.bootNs, "no QEMU-start-to-agent-ready time")
            let log = try #require(details.guestLog, "no guest console log")
            let console = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(console.contains("isoprobe-agent: ready"), "the guest console went to \(log)")
            try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent)
            #expect(boot > 0 && boot < run.setupNs)
            // The host's view of the same run: the VMM's own syscalls and thread scheduling.
            let host = try #require(run.hostView, "no host view of QEMU")
            #expect(host.totalSyscalls > 0, "no VMM syscalls seen")
            #expect((host.sched?.contextSwitches.total ?? 0) > 0, "no VMM thread scheduling seen")
            #expect(host.target.cgroupPath.contains("isoprobe-vmm-"))
            #expect(!FileManager.default.fileExists(atPath: host.target.cgroupPath), "QEMU's cgroup was left behind")
            // Nothing of the guest is left.
            let qemu = try runProcess("/usr/bin/pgrep", ["-f", "qemu-system-x86_64"])
            #expect(qemu.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "QEMU still running: \(qemu.stdout)")
        }

        /// A guest's workload writes to an ext4 scratch disk (virtio-blk, an image file on
        /// the host), not to its in-memory root, so fileio compares like with like: the same
        /// filesystem as the native run when the host's scratch base is ext4. One boot.
        @Test func fileioInTheGuestWritesToItsScratchDisk() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let r = try isoprobe(["run", "--env", "native,vm", "--workload", "fileio:count=20"], timeout: 180)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document, "no JSON; stderr: \(r.process.stderr)")
            let vm = try #require(doc.runs.first { $0.environment == "vm" })
            let native = try #require(doc.runs.first { $0.environment == "native" })
            #expect(vm.workloadReport?.extra["fs"] == "ext4", "the guest wrote to \(vm.workloadReport?.extra["fs"] ?? "?")")
            #expect(vm.syscall("fsync")?.count == 20, "fsync in the guest: \(vm.syscall("fsync")?.count ?? 0)")
            if native.workloadReport?.extra["fs"] == "ext4" {
                #expect(!r.process.stdout.contains("wrote to different filesystems"), "\(r.process.stdout)")
            }
            #expect(!r.process.stderr.contains("no scratch disk"), "\(r.process.stderr)")
        }

        @Test func kvmRefusedWithAReasonWhereItIsNotUsable() throws {
            guard !KVMCalibration.shared.verdict.isUsable else { return }
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
