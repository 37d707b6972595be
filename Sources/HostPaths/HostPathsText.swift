import Foundation
import KVM

/// `host-paths`' text: one block per path, its verdict first, then its figures in words.
public enum HostPathsText {
    public static func render(_ doc: HostPathsDocument) -> String {
        var out: [String] = []
        let g = doc.guestHost
        let facts = g.facts.map { f in
            "kernel \(f.kernelRelease), cgroup2 \(f.cgroupLayout) (\(f.cgroupControllers)), cpu \(f.cpuFlags.joined(separator: " ")), "
                + "/dev/kvm \(f.kvmDevice ? "from \(f.kvmModules.joined(separator: "+"))" : "missing")"
                + (f.hypervisorSignature.map { ", hypervisor leaf \($0)" } ?? "")
                + (f.clocksource.map { ", clocksource \($0)" } ?? "")
        } ?? "no facts reported"
        out.append("guest host: \(g.accelerator) guest, \(g.vcpus) vCPU, \(g.memoryMiB) MiB; \(facts)")
        out.append(String(format: "  booted in %.1f s; %.1f s in all; logs in %@", g.bootSeconds ?? 0, g.totalSeconds, g.logDirectory))
        for p in doc.paths {
            let time = p.seconds.map { String(format: " (%.1f s)", $0) } ?? ""
            out.append("\(p.proven ? "proven " : "FAILED ") \(p.path.rawValue)\(time): \(p.summary)")
            for line in figureLines(p.path, p.figures) { out.append("    " + line) }
            for problem in p.problems { out.append("    problem: " + problem) }
        }
        let proven = doc.paths.filter(\.proven).count
        out.append("\(proven) of \(doc.paths.count) paths proven on the guest host")
        let notRun = HostPath.allCases.filter { p in !doc.paths.contains { $0.path == p } }
        if !notRun.isEmpty {
            out.append("not run: \(notRun.map(\.rawValue).joined(separator: ", "))"
                       + (notRun.contains(.kvmOverride) ? " (kvm-override boots a second-level guest: most of a minute under TCG)" : ""))
        }
        return terminalSafe(out.joined(separator: "\n") + "\n")
    }

    /// The guest's strings reach the terminal: every control character but the line break
    /// goes (an escape sequence from a hostile guest must not drive the user's terminal).
    static func terminalSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { s in
            s == "\n" || !(s.value < 0x20 || (0x7f...0x9f).contains(s.value))
        }))
    }

    static func formatted(_ v: Double) -> String { String(format: "%g", v) }

    /// The most frequent exit reasons, with the mean time from exit to the next entry.
    static func reasonLines(_ f: HostPathFigures) -> [String] {
        (f.reasons ?? []).prefix(8).map { r in
            "  \(r.isa) \(r.name) x\(r.count) (exit to entry \(r.count > 0 ? r.exitToEntryNs / r.count : 0) ns mean)"
        }
    }

    static func figureLines(_ path: HostPath, _ f: HostPathFigures?) -> [String] {
        guard let f else { return [] }
        func n<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "?" }
        switch path {
        case .cgroup2Native, .runc, .crun:
            let runtime = f.runtime.map { "\($0) (\(f.runtimeVersion ?? "?")), hybrid workaround \(f.hybridWorkaround == true ? "on" : "off"); " } ?? ""
            return ["\(runtime)cgroup \(n(f.cgroupLayout)); getpid counted \(n(f.getpidCalls)), workload made \(n(f.ops)); exit \(n(f.exitKind))"]
        case .runcOOMKill, .crunOOMKill:
            return ["\(n(f.runtime)): exit \(n(f.exitKind)); OOM kills \(n(f.oomKills)); peak RSS \(f.peakRssBytes.map { "\($0 >> 20) MiB" } ?? "?")"]
        case .runcPidsLimit, .crunPidsLimit:
            return ["\(n(f.runtime)): forked \(n(f.forked)), refused \(n(f.refused)); clone EAGAIN counted \(n(f.cloneEagain)); pids.events max \(n(f.pidsLimitHits))"]
        case .kvmCalibration:
            var lines = ["verdict \(n(f.verdict)): \(n(f.verdictLine))"]
            lines.append("compares: ns per loop instruction at CPL0 in a KVM-API guest (\(f.nsPerInstruction.map { String(format: "%.2f", $0) } ?? "?") ns) "
                         + "with a fixed \(formatted(KVMCalibration.usableBelowNsPerIteration / KVMCalibration.instructionsPerIteration)) ns bound, not with this host's own speed")
            lines.append("hypervisor leaf: \(f.hypervisorSignature ?? "none")\(f.emulator.map { " = \($0), an emulator" } ?? "")")
            return lines
        case .kvmExits:
            return ["port writes \(n(f.portWrites)); kvm_exit \(n(f.kvmExits)), kvm_entry \(n(f.kvmEntries)), kvm_pio \(n(f.kvmPortIo))"]
                + reasonLines(f)
        case .kvmOverride:
            return ["without the override: exit \(n(f.refusalStatus)) in \(f.refusalSeconds.map { String(format: "%.1f s", $0) } ?? "?"): \(n(f.refusalLine))",
                    "with --no-calibration: accelerator \(n(f.accelerator)), guest kernel \(n(f.guestKernel)), boot \(f.bootSeconds.map { String(format: "%.1f s", $0) } ?? "?"); "
                        + "getpid counted \(n(f.getpidCalls)); exit \(n(f.exitKind))",
                    "host view of QEMU: kvm_exit \(n(f.kvmExits)), kvm_entry \(n(f.kvmEntries)), kvm_pio \(n(f.kvmPortIo))"]
                + reasonLines(f)
        }
    }
}
