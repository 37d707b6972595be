import IsoprobeCore

/// `--accel auto|kvm|tcg` as the user asked for it.
public enum AccelRequest: String, Sendable, CaseIterable, Codable {
    case auto, kvm, tcg
}

/// Turns `--accel` into an accelerator from the KVM calibration.
///
/// `auto` takes KVM when the calibration says guest kernel code runs natively and TCG
/// otherwise (print `calibration.description` as the one-line notice); `kvm` on a host
/// where KVM is not usable is refused at once with the reason and the fix; `tcg` is TCG.
public enum AccelChoice {
    public static func resolve(requested: AccelRequest, calibration: KVMCalibration.Result) throws -> Accelerator {
        switch requested {
        case .tcg:
            return .tcg
        case .auto:
            return calibration.verdict.isUsable ? .kvm : .tcg
        case .kvm:
            guard calibration.verdict.isUsable else { throw refusal(calibration) }
            return .kvm
        }
    }

    /// The same, calibrating only when the answer depends on it (`tcg` never does).
    public static func resolve(requested: AccelRequest,
                               calibrate: () -> KVMCalibration.Result = { KVMCalibration.shared }) throws -> Accelerator {
        requested == .tcg ? .tcg : try resolve(requested: requested, calibration: calibrate())
    }

    /// `--accel kvm --no-calibration`: KVM as asked, the calibration never run (a host the
    /// calibration refuses, such as one that is itself emulated, can still be used on purpose).
    /// `skipCalibration` with anything but `kvm` changes nothing.
    public static func resolve(requested: AccelRequest, skipCalibration: Bool,
                               calibrate: () -> KVMCalibration.Result = { KVMCalibration.shared }) throws -> Accelerator {
        if skipCalibration, requested == .kvm { return .kvm }
        return try resolve(requested: requested, calibrate: calibrate)
    }

    /// "--accel kvm: KVM is not usable here: guest kernel code is emulated (kvm_pvm, ~410 ns
    /// per instruction) (use --accel tcg, or --accel auto)"; exit code 3 (missing).
    public static func refusal(_ calibration: KVMCalibration.Result) -> IsoprobeError {
        IsoprobeError(.missing, "--accel kvm: KVM is not usable here", fix: "use --accel tcg, or --accel auto",
                      cause: reason(calibration.verdict))
    }

    /// Why KVM is not usable, without the "using TCG" tail.
    public static func reason(_ verdict: KVMCalibration.Verdict) -> String {
        switch verdict {
        case .usable(let ns):
            return "guest kernel code runs natively (\(formatNs(ns)) per instruction)"
        case .emulated(let ns, let module):
            return "guest kernel code is emulated (\(module), ~\(formatNs(ns)) per instruction)"
        case .unavailable(let reason):
            return reason
        case .hung(let after):
            return "a test guest did not come back within \(String(format: "%.2f", after)) s"
        case .emulatedHost(let ns, let emulator):
            return "KVM works (\(formatNs(ns)) per instruction), but this host is itself emulated by \(emulator), "
                + "so KVM's figures here do not stand for KVM on hardware"
        }
    }
}
