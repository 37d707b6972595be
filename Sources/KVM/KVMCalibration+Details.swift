import Foundation
import IsoprobeCore

extension KVMCalibration.Result {
    /// Several lines with every figure, for a verbose doctor or a test log.
    public var details: [String] {
        var lines: [String] = []
        var modules = [("kvm", host.kvmModule), ("kvm_intel", host.kvmIntel), ("kvm_amd", host.kvmAMD),
                       ("kvm_pvm", host.kvmPVM)].filter { $0.1 }.map { $0.0 }
        if modules.isEmpty { modules = ["none"] }
        let flags = [("vmx", host.vmx), ("svm", host.svm), ("hypervisor", host.hypervisor)].filter { $0.1 }.map { $0.0 }
        lines.append("modules: \(modules.joined(separator: " ")); cpu flags: \(flags.isEmpty ? "no vmx/svm" : flags.joined(separator: " "))")
        if let signature = host.hypervisorSignature {
            lines.append("hypervisor leaf: \(signature)\(host.emulator.map { " (\($0), an emulator)" } ?? "")")
        }
        if portWrites > 0 { lines.append("port writes: \(portWrites) exited as KVM_EXIT_IO") }
        if let e = openErrno {
            lines.append("/dev/kvm: \(ErrorWords.of(errno: e)) (errno \(e))")
        } else {
            lines.append("/dev/kvm: opened, API version \(apiVersion.map(String.init) ?? "?"), VM \(vmCreated ? "created" : "not created"), vCPU \(vcpuCreated ? "created" : "not created")")
        }
        if let f = failure {
            lines.append("failed at \(f.step)\(f.errno != 0 ? ": \(ErrorWords.of(errno: f.errno))" : "")")
        }
        let exits = [hltExit.map { "hlt program: \($0.name)" },
                     ioExit.map { "out program: \($0.name)\(ioPort.map { String(format: " (port 0x%x)", $0) } ?? "")" }]
            .compactMap { $0 }
        if !exits.isEmpty { lines.append("exits: " + exits.joined(separator: ", ")) }
        if let ns = nsPerIteration {
            lines.append(String(format: "loop: %.2f ns per iteration (%.2f per instruction) over %d iterations%@",
                                ns, ns / KVMCalibration.instructionsPerIteration, measuredIterations,
                                measurementFinished ? "" : ", stopped at the time cap"))
        } else {
            lines.append("loop: did not finish within the cap")
        }
        lines.append(String(format: "calibration: %.1f ms (cap %.1f s)%@%@", totalSeconds * 1000, timeLimit,
                            watchdogFired ? ", watchdog fired" : "",
                            threadReturned ? "" : ", vCPU thread still in the kernel"))
        for s in samples {
            lines.append(String(format: "  KVM_RUN %@ ecx=%d: %d done in %.3f ms, %@", s.program.rawValue,
                                s.iterations, s.completed, Double(s.nanoseconds) / 1e6, Self.ending(of: s)))
        }
        return lines
    }

    /// "KVM_EXIT_IO", "KVM_EXIT_INTERNAL_ERROR (1)", "stopped by the watchdog (EINTR)", ...
    static func ending(of s: KVMCalibration.Sample) -> String {
        if let exit = s.exit {
            return exit.name + (s.detail.map { " (\($0))" } ?? "")
        }
        return s.errno == EINTR ? "stopped by the watchdog (EINTR)" : "KVM_RUN failed: \(ErrorWords.of(errno: s.errno))"
    }
}
