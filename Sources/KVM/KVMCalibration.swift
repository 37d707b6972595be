import Foundation

/// Does /dev/kvm run guest kernel (CPL0) code natively?
///
/// A full guest boots kernel code, and some KVM hosts (nested PVM, `kvm_pvm`) emulate that
/// code instruction by instruction (about 1 µs each): QEMU with `-enable-kvm` then hangs
/// instead of booting. So before choosing KVM, isoprobe runs a tiny KVM-API guest (no guest
/// kernel, no QEMU): a real-mode counted loop `l: dec ecx; jnz l` at CPL0, ending in `hlt`
/// or `out 0xe9, al`, on its own vCPU thread under a watchdog, and times it. On VT-x/AMD-V
/// (nested included) a loop iteration costs about a cycle; emulated it costs hundreds of ns.
///
/// `KVMVCPU` makes the KVM API calls (through CKVM); which runs to make and what they mean is
/// `Plan`, the thread they run on is `VCPUThread`, stopping a guest that does not come back is
/// `Watchdog`, the verdict is `verdict(for:)`.
public enum KVMCalibration {
    /// Below this many ns per loop iteration (two instructions) KVM counts as running guest
    /// kernel code natively. Hardware runs an iteration in 0.3-1 ns (nested VT-x/AMD-V too:
    /// the L2 guest's instructions still execute on the CPU); emulation measured 800-900 ns
    /// on kvm_pvm. 20 ns leaves a factor of 20 or more on both sides.
    public static let usableBelowNsPerIteration: Double = 20

    /// Instructions per loop iteration (`dec ecx`, `jnz`).
    public static let instructionsPerIteration: Double = 2

    public static let defaultIterations = 10_000_000
    public static let defaultTimeLimit: TimeInterval = 2

    public enum Verdict: Sendable, Equatable, Codable {
        /// Guest kernel code runs at native speed: KVM is the default.
        case usable(nsPerInstruction: Double)
        /// Guest kernel code is emulated (module: the kvm module behind /dev/kvm).
        case emulated(nsPerInstruction: Double, module: String)
        /// No usable /dev/kvm: missing, not permitted, no module, the test guest failed.
        case unavailable(reason: String)
        /// The test guest did not come back before the watchdog (seconds after the start).
        case hung(after: TimeInterval)
        /// The loop ran fast, but this host is itself emulated (`emulator`: QEMU's TCG, from
        /// CPUID's hypervisor leaf): KVM works, and its figures do not stand for KVM on hardware.
        case emulatedHost(nsPerInstruction: Double, emulator: String)

        public var isUsable: Bool {
            if case .usable = self { return true }
            return false
        }
    }

    /// Runs the calibration: at most `iterations` loop iterations in the longest run and never
    /// much longer than `timeLimit` seconds in all (the vCPU is stopped at the limit less a
    /// grace period of up to 0.25 s, and the call returns at the limit even if it is stuck).
    public static func run(iterations: Int = defaultIterations,
                           timeLimit: TimeInterval = defaultTimeLimit) -> Result {
        run(iterations: iterations, timeLimit: timeLimit, spin: false)
    }

    /// The calibration, then `portWrites` runs of a guest that writes one byte to port 0xe9
    /// (one KVM_EXIT_IO each), under the same watchdog: the exits a kvm exit probe should count.
    public static func run(iterations: Int = defaultIterations, timeLimit: TimeInterval = defaultTimeLimit,
                           portWrites: Int) -> Result {
        var options = Options(iterations: iterations, timeLimit: timeLimit, spin: false, minimumRun: nil)
        options.portWrites = max(0, portWrites)
        return Watchdog.calibrate(options)
    }

    /// For the tests: `spin` makes the guest `l: jmp l`, which only the watchdog ends (the hung
    /// path); `minimumRun` is how long a run must take to end the tenfold growth (default 5 ms).
    static func run(iterations: Int, timeLimit: TimeInterval, spin: Bool,
                    minimumRun: TimeInterval? = nil) -> Result {
        Watchdog.calibrate(Options(iterations: iterations, timeLimit: timeLimit, spin: spin, minimumRun: minimumRun))
    }

    /// One calibration per process, run on first use (doctor and `--accel auto` share it).
    public static let shared: Result = run()
}
