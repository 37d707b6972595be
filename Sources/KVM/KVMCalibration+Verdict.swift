import Foundation
import IsoprobeCore

extension KVMCalibration {
    /// The verdict for a result: the part the thresholds decide, kept pure for the tests.
    public static func verdict(for r: Result) -> Verdict {
        if let e = r.openErrno {
            return .unavailable(reason: openFailure(e, host: r.host))
        }
        if let v = r.apiVersion, v != 12 {
            return .unavailable(reason: "KVM API version \(v), expected 12")
        }
        if let f = r.failure {
            if f.step == Failure.guestExit, let sample = r.samples.last(where: { $0.exit != nil }), let exit = sample.exit {
                return .unavailable(reason: "the test guest stopped with \(exit.name)")
            }
            let cause = f.errno != 0 ? ": \(ErrorWords.of(errno: f.errno))" : ""
            return .unavailable(reason: "\(f.step) failed\(cause)")
        }
        if let ns = r.nsPerIteration, ns > 0 {
            let perInstruction = ns / instructionsPerIteration
            if ns < usableBelowNsPerIteration {
                if let emulator = r.host.emulator {
                    return .emulatedHost(nsPerInstruction: perInstruction, emulator: emulator)
                }
                return .usable(nsPerInstruction: perInstruction)
            }
            return .emulated(nsPerInstruction: perInstruction, module: r.host.vendorModule ?? "kvm")
        }
        if r.watchdogFired || !r.threadReturned {
            return .hung(after: r.totalSeconds)
        }
        return .unavailable(reason: "the calibration produced no measurement")
    }

    static func openFailure(_ e: Int32, host: HostSignals) -> String {
        let text = ErrorWords.of(errno: e)
        switch e {
        case ENOENT:
            if !host.kvmModule {
                return "no /dev/kvm: no kvm module is loaded" + (host.vmx || host.svm ? "" : " and the CPU shows no vmx/svm")
            }
            return "no /dev/kvm although the kvm module is loaded"
        case EACCES, EPERM:
            return "cannot open /dev/kvm: \(text)"
        case ENXIO, ENODEV:
            return "/dev/kvm has no driver behind it (\(text)): no kvm vendor module is loaded"
        default:
            return "cannot open /dev/kvm: \(text)"
        }
    }
}

/// "0.4 ns", "410 ns", "1.2 µs".
func formatNs(_ ns: Double) -> String {
    if ns < 10 { return String(format: "%.1f ns", ns) }
    if ns < 1000 { return "\(Int((ns / (ns < 100 ? 1 : 10)).rounded()) * (ns < 100 ? 1 : 10)) ns" }
    return String(format: "%.1f µs", ns / 1000)
}
