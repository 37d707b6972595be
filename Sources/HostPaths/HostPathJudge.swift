/// The host's judgement of a path's figures: the guest only reports what it measured, the
/// host decides whether that proves the path. Pure, so the rules are tested on their own.
public enum HostPathJudge {
    /// What is wrong with the report; empty when the figures prove the path.
    public static func problems(_ report: HostPathReport) -> [String] {
        if let error = report.error { return [error] }
        let f = report.figures
        var wrong: [String] = []
        func need(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { wrong.append(what()) } }
        let calls = UInt64(HostPath.getpidCalls)
        let exact = calls...(calls + UInt64(HostPath.countSlack))

        switch report.path {
        case .cgroup2Native, .runc, .crun:
            need(f.cgroupLayout == "unified", "cgroup layout \(f.cgroupLayout ?? "unknown"), not pure cgroup2")
            need(f.exitKind == "exited", "the workload ended \(f.exitKind ?? "unknown")")
            need(f.ops == calls, "the workload made \(f.ops.map(String.init) ?? "no") getpid calls, not \(calls)")
            need(f.getpidCalls.map(exact.contains) == true,
                 "the probes counted \(f.getpidCalls.map(String.init) ?? "no") getpid calls, not \(calls)")
            if let runtime = report.path.runtime {
                need(f.runtime == runtime, "ran under \(f.runtime ?? "no runtime"), not \(runtime)")
                need(f.hybridWorkaround == false, "\(runtime) ran with the hybrid workaround on pure cgroup2")
            }
        case .runcOOMKill, .crunOOMKill:
            need(f.runtime == report.path.runtime, "ran under \(f.runtime ?? "no runtime"), not \(report.path.runtime ?? "")")
            need(f.exitKind == "oom_killed", "the workload ended \(f.exitKind ?? "unknown"), not oom_killed")
            need((f.oomKills ?? 0) >= 1, "memory.events counted \(f.oomKills ?? 0) OOM kills")
            need(f.hybridWorkaround == false, "the hybrid workaround was used on pure cgroup2")
        case .runcPidsLimit, .crunPidsLimit:
            need(f.runtime == report.path.runtime, "ran under \(f.runtime ?? "no runtime"), not \(report.path.runtime ?? "")")
            let forked = f.forked ?? -1, refused = f.refused ?? -1
            need(forked + refused == HostPath.forkAttempts, "\(forked) forked + \(refused) refused, not \(HostPath.forkAttempts) attempts")
            need(refused >= 1, "no fork was refused under --pids \(HostPath.pidsLimit)")
            need(forked < HostPath.pidsLimit, "\(forked) forks succeeded under --pids \(HostPath.pidsLimit)")
            need(f.cloneEagain == UInt64(max(refused, 0)),
                 "the probes saw \(f.cloneEagain.map(String.init) ?? "no") clone EAGAIN, the workload \(refused) refusals")
            need((f.pidsLimitHits ?? 0) >= 1, "pids.events counted no limit hit")
            need(f.hybridWorkaround == false, "the hybrid workaround was used on pure cgroup2")
        case .kvmCalibration:
            need(f.nsPerInstruction != nil, "the calibration measured nothing (\(f.verdictLine ?? "no verdict"))")
            // An emulated first-level host must be named as such, never passed as hardware.
            if f.emulator != nil {
                need(f.verdict == "emulated-host", "the host is emulated by \(f.emulator!), but the verdict is \(f.verdict ?? "none")")
            } else {
                need(f.verdict == "usable", "verdict \(f.verdict ?? "none"): \(f.verdictLine ?? "")")
            }
        case .kvmExits:
            let io = (f.reasons ?? []).filter { ["IOIO", "IO_INSTRUCTION"].contains($0.name) }.reduce(0) { $0 + $1.count }
            need(io >= UInt64(HostPath.portWrites), "\(io) io exits from kvm_exit, fewer than the guest's \(HostPath.portWrites) port writes")
            need(f.portWrites == HostPath.portWrites, "the KVM-API guest made \(f.portWrites ?? 0) of \(HostPath.portWrites) port writes")
            need((f.kvmEntries ?? 0) >= 1, "kvm_entry never fired")
            need((f.reasons ?? []).contains { $0.count > 0 && $0.exitToEntryNs > 0 }, "no exit-to-entry time measured")
            need((f.reasons ?? []).allSatisfy { !$0.name.hasPrefix("SVM_") && !$0.name.hasPrefix("VMX_") },
                 "exit reasons without names: \((f.reasons ?? []).map(\.name).filter { $0.hasPrefix("SVM_") || $0.hasPrefix("VMX_") })")
        case .kvmOverride:
            need(f.refusalStatus == 3, "--accel kvm without the override exited \(f.refusalStatus.map(String.init) ?? "?"), not 3 (refused)")
            need((f.refusalSeconds ?? .infinity) < 30, "--accel kvm took \(f.refusalSeconds ?? -1) s to be refused, not at once")
            need(f.accelerator == "kvm", "the override's run used \(f.accelerator ?? "no accelerator"), not kvm")
            need(f.exitKind == "exited", "the second-level guest's workload ended \(f.exitKind ?? "unknown")")
            need((f.kvmExits ?? 0) > 0 && !(f.reasons ?? []).isEmpty,
                 "the run's host view has no KVM exits by reason (\(f.kvmExits.map(String.init) ?? "none"))")
            need((f.reasons ?? []).allSatisfy { !$0.name.hasPrefix("SVM_") && !$0.name.hasPrefix("VMX_") },
                 "exit reasons without names: \((f.reasons ?? []).map(\.name).filter { $0.hasPrefix("SVM_") || $0.hasPrefix("VMX_") })")
            let small = UInt64(HostPath.overrideGetpidCalls)
            need(f.getpidCalls.map { (small...(small + UInt64(HostPath.countSlack))).contains($0) } == true,
                 "the second-level guest's probes counted \(f.getpidCalls.map(String.init) ?? "no") getpid calls, not \(small)")
        }
        if let left = f.leftovers, !left.isEmpty {
            wrong.append("left behind: \(left.prefix(5).joined(separator: ", "))")
        }
        return wrong
    }
}
