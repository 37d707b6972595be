import ArgumentParser
import Container
import IsoprobeCore
import KVM
import OCI

/// How containers and VM guests are started: the flags `run` and `verify` share. Each is
/// nil when not given, so a suite's own setting stands unless the command line names one.
struct GuestOptions: ParsableArguments {
    @Option(name: .customLong("runtime"), help: "OCI runtime for containers: runc (default), crun, or a path.")
    var runtimeFlag: String?

    @Option(name: .customLong("accel"), help: "VM accelerator: auto (default: KVM where it runs guest kernel code natively, else TCG), kvm, tcg.")
    var accel: AccelRequest?

    @Flag(name: .customLong("no-calibration"),
          help: "With --accel kvm: use KVM even where the KVM calibration refuses it (a host that is itself emulated); figures then stand for this host's KVM only.")
    var noCalibration = false

    @Option(name: .customLong("kernel"), help: "Guest kernel for --env vm (default: /boot's, else isoprobe's cache; `make kernel`).")
    var kernel: String?

    var runtime: String { runtimeFlag ?? "runc" }

    /// Refuses a flag given for an environment that is not among `environments`, naming
    /// the flag and the environment it needs.
    func checkApplies(to environments: [EnvironmentKind]) throws {
        let vmFlags = [kernel.map { _ in "--kernel" }, accel.map { _ in "--accel" }].compactMap { $0 }
        try checkCalibrationFlag()
        if !environments.contains(.vm), let flag = vmFlags.first {
            throw ValidationError("\(flag) applies to VM guests (--env vm)")
        }
        if !environments.contains(where: \.isContainer), runtimeFlag != nil {
            throw ValidationError("--runtime applies to containers (--env container)")
        }
    }

    /// `--no-calibration` only overrides the calibration's refusal of `--accel kvm`.
    func checkCalibrationFlag() throws {
        if noCalibration, accel != .kvm {
            throw ValidationError("--no-calibration applies to --accel kvm (it skips the KVM calibration that --accel kvm otherwise needs)")
        }
    }

    /// Refuses an `--oci-config` (run's and verify's alike) that is no file to read, or that
    /// asks for what the runtime would refuse on this host, in one line naming the field.
    static func checkOCIConfig(_ path: String?) throws {
        guard let path else { return }
        if let problem = Spec.unreadable(path) {
            throw ValidationError("--oci-config \(path): \(problem) (give the path of an OCI runtime config.json)")
        }
        do {
            _ = try ContainerEnvironment.loadUserConfig(path)
        } catch let error as OCIConfigError {
            throw ValidationError(error.description)
        }
    }
}
