import BPF
import Container
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import KVM
import Probes
import VM
import VMEnvironment

/// What isoprobe needs on this host, what is missing, and the command that fixes it.
public enum Doctor {
    public struct Check: Sendable {
        public var name: String
        public var ok: Bool
        public var detail: String
        public var fix: String?
        /// Needed for every run (false: only for some features).
        public var required: Bool
    }

    public static func run(probesDirectory: String?) -> [Check] {
        var checks: [Check] = []
        let caps = effectiveCapabilities()
        let isRoot = geteuid() == 0
        let hasBPF = isRoot || (caps & (1 << 39) != 0 && caps & (1 << 38) != 0) || caps & (1 << 21) != 0
        checks.append(Check(name: "privileges", ok: hasBPF,
                            detail: isRoot ? "running as root" : String(format: "CapEff %016llx", caps),
                            fix: hasBPF ? nil : "run as root (sudo isoprobe ...) or grant CAP_BPF and CAP_PERFMON",
                            required: true))
        checks.append(Check(name: "kernel BTF", ok: KernelBTF.isPresent, detail: KernelBTF.path,
                            fix: KernelBTF.isPresent ? nil : "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y",
                            required: true))
        do {
            let h = try CgroupHierarchy.detect()
            checks.append(Check(name: "cgroup2", ok: true, detail: "\(h.layout.rawValue) at \(h.mountPoint)",
                                fix: nil, required: true))
        } catch {
            checks.append(Check(name: "cgroup2", ok: false, detail: "not mounted",
                                fix: "mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified",
                                required: true))
        }
        let left = ResourceLedger.abandoned().flatMap(\.holdings)
        checks.append(Check(name: "leftovers", ok: left.isEmpty,
                            detail: left.isEmpty ? "nothing left by a killed isoprobe" : ResourceLedger.summary(left),
                            fix: left.isEmpty ? nil : "isoprobe cleanup", required: false))
        let tracefs = Tracefs.mountedPath
        checks.append(Check(name: "tracefs", ok: true,
                            detail: tracefs.map { "mounted at \($0)" } ?? "not mounted; only bpftrace in `bench overhead` needs it, mounted there for the run",
                            fix: nil, required: false))
        do {
            let r = try Resources.locate(probesDirectory: probesDirectory)
            checks.append(Check(name: "compiled probes", ok: true, detail: r.probesDirectory, fix: nil, required: true))
            checks.append(Check(name: "fixture workloads", ok: r.workloadsDirectory != nil,
                                detail: r.workloadsDirectory ?? "not built",
                                fix: r.workloadsDirectory == nil ? "make workloads" : nil, required: false))
        } catch {
            checks.append(Check(name: "compiled probes", ok: false, detail: "not found", fix: "make probes",
                                required: true))
        }
        for (tool, package, required) in [("clang", "clang", false), ("bpftool", "bpftool", false),
                                          ("bpftrace", "bpftrace", false), ("runc", "runc", false),
                                          ("crun", "crun", false)] {
            let path = HostTool.find(tool)
            var detail = path ?? "not found"
            if let path, ["runc", "crun"].contains(tool) {
                detail += ": " + OCIRuntime.version(of: path)
                // crun refuses hybrid hosts by itself: say that isoprobe works round it.
                if tool == "crun", (try? CgroupHierarchy.detect())?.layout == .hybrid {
                    detail += " (hybrid cgroups: run with cgroup2's controller list hidden)"
                }
            }
            checks.append(Check(name: tool, ok: path != nil, detail: detail,
                                fix: path == nil ? "apt-get install -y \(package)" : nil, required: required))
        }
        checks += virtualMachineChecks()
        checks += networkChecks()
        checks += storageChecks()
        return checks
    }

    /// What `--env vm` will need: QEMU, a guest kernel, and whether KVM runs guest kernel
    /// code natively here (a short calibration) or guests must use TCG.
    static func virtualMachineChecks() -> [Check] {
        var checks: [Check] = []
        let qemu = VMEnvironment.qemuPath
        let qemuVersion = qemu.map(VMEnvironment.version(ofQEMU:))
        checks.append(Check(name: "qemu", ok: qemu != nil, detail: qemu.map { "\($0): \(qemuVersion ?? "")" } ?? "not found",
                            fix: qemu == nil ? "apt-get install -y qemu-system-x86" : nil, required: false))
        do {
            let kernel = try KernelLocator().locate()
            checks.append(Check(name: "guest kernel", ok: true,
                                detail: "\(kernel.path) (\(kernel.version), \(kernel.format))",
                                fix: nil, required: false))
        } catch {
            checks.append(Check(name: "guest kernel", ok: false, detail: "not found", fix: "make kernel", required: false))
        }
        let kvm = KVMCalibration.shared
        checks.append(Check(name: "kvm", ok: true, detail: kvm.description,
                            fix: kvm.verdict.isUsable ? nil : kvm.fix, required: false))
        return checks
    }

    static func effectiveCapabilities() -> UInt64 {
        ProcFS.capabilities("CapEff") ?? 0
    }

    /// Throws the one-line error for the first missing requirement of a run.
    public static func requireRunPrerequisites() throws {
        let caps = effectiveCapabilities()
        if geteuid() != 0 && caps & (1 << 39) == 0 && caps & (1 << 21) == 0 {
            throw IsoprobeError(.missing, "isoprobe needs root to load eBPF probes and create cgroups",
                                fix: "run it with sudo, or as root")
        }
        if !KernelBTF.isPresent {
            throw IsoprobeError(.missing, "this kernel has no BTF (\(KernelBTF.path) is missing)",
                                fix: "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y")
        }
    }
}
