import CKVM
import Foundation

/// Does /dev/kvm run guest kernel (CPL0) code natively?
///
/// A full guest boots kernel code, and some KVM hosts (nested PVM, `kvm_pvm`) emulate that
/// code instruction by instruction (about 1 µs each): QEMU with `-enable-kvm` then hangs
/// instead of booting. So before choosing KVM, isoprobe runs a tiny KVM-API guest (no guest
/// kernel, no QEMU): a real-mode counted loop `l: dec ecx; jnz l` at CPL0, ending in `hlt`
/// or `out 0xe9, al`, on its own vCPU thread under a watchdog, and times it. On VT-x/AMD-V
/// (nested included) a loop iteration costs about a cycle; emulated it costs hundreds of ns.
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

        public var isUsable: Bool {
            if case .usable = self { return true }
            return false
        }
    }

    /// What /sys/module and /proc/cpuinfo say.
    public struct HostSignals: Sendable, Equatable, Codable {
        public var kvmModule: Bool
        public var kvmIntel: Bool
        public var kvmAMD: Bool
        public var kvmPVM: Bool
        /// CPU flags in /proc/cpuinfo.
        public var vmx: Bool
        public var svm: Bool
        public var hypervisor: Bool

        public init(kvmModule: Bool = false, kvmIntel: Bool = false, kvmAMD: Bool = false, kvmPVM: Bool = false,
                    vmx: Bool = false, svm: Bool = false, hypervisor: Bool = false) {
            self.kvmModule = kvmModule
            self.kvmIntel = kvmIntel
            self.kvmAMD = kvmAMD
            self.kvmPVM = kvmPVM
            self.vmx = vmx
            self.svm = svm
            self.hypervisor = hypervisor
        }

        /// The vendor module behind /dev/kvm (kvm_pvm first: it can sit beside the others).
        public var vendorModule: String? {
            if kvmPVM { return "kvm_pvm" }
            if kvmIntel { return "kvm_intel" }
            if kvmAMD { return "kvm_amd" }
            return nil
        }

        /// Reads the facts only (cheap: a few access() calls and the first flags line).
        public static func read() -> HostSignals {
            var c = isoprobe_kvm_calibration()
            isoprobe_kvm_host_facts(&c)
            return HostSignals(c)
        }

        init(_ c: isoprobe_kvm_calibration) {
            self.init(kvmModule: c.module_kvm != 0, kvmIntel: c.module_kvm_intel != 0, kvmAMD: c.module_kvm_amd != 0,
                      kvmPVM: c.module_kvm_pvm != 0, vmx: c.cpu_vmx != 0, svm: c.cpu_svm != 0,
                      hypervisor: c.cpu_hypervisor != 0)
        }
    }

    /// One KVM_RUN of the test guest.
    public struct Sample: Sendable, Equatable, Codable {
        public enum Program: String, Sendable, Codable { case hlt, io, spin }
        public var program: Program
        public var iterations: Int
        /// Iterations done when KVM_RUN returned (fewer when the watchdog stopped it).
        public var completed: Int
        public var nanoseconds: UInt64
        /// nil when KVM_RUN itself failed (errno then says why; EINTR: the watchdog).
        public var exit: KVMExitReason?
        public var errno: Int32
        public var ioPort: UInt16?

        public init(program: Program, iterations: Int, completed: Int, nanoseconds: UInt64,
                    exit: KVMExitReason?, errno: Int32 = 0, ioPort: UInt16? = nil) {
            self.program = program
            self.iterations = iterations
            self.completed = completed
            self.nanoseconds = nanoseconds
            self.exit = exit
            self.errno = errno
            self.ioPort = ioPort
        }
    }

    /// The step that failed, as the C side names it ("KVM_CREATE_VM", "guest exit", ...).
    public struct Failure: Sendable, Equatable, Codable {
        public var step: String
        public var errno: Int32
        public init(step: String, errno: Int32) {
            self.step = step
            self.errno = errno
        }
    }

    public struct Result: Sendable, Equatable, Codable, CustomStringConvertible {
        public var host: HostSignals
        /// nil when /dev/kvm opened.
        public var openErrno: Int32?
        public var apiVersion: Int?
        public var vmCreated: Bool
        public var vcpuCreated: Bool
        public var failure: Failure?
        /// Exit of the `hlt` program (KVM_EXIT_HLT expected) and of the `out` one (KVM_EXIT_IO).
        public var hltExit: KVMExitReason?
        public var ioExit: KVMExitReason?
        public var ioPort: UInt16?
        /// ns per loop iteration; nil when no run got through any iteration.
        public var nsPerIteration: Double?
        public var measuredIterations: Int
        /// The measured run reached its exit (false: stopped at the cap, partial count used).
        public var measurementFinished: Bool
        public var watchdogFired: Bool
        /// False when the vCPU thread was still inside KVM_RUN when the call returned.
        public var threadReturned: Bool
        public var totalSeconds: TimeInterval
        public var timeLimit: TimeInterval
        public var samples: [Sample]

        public init(host: HostSignals = HostSignals(), openErrno: Int32? = nil, apiVersion: Int? = 12,
                    vmCreated: Bool = true, vcpuCreated: Bool = true, failure: Failure? = nil,
                    hltExit: KVMExitReason? = .hlt, ioExit: KVMExitReason? = .io, ioPort: UInt16? = 0xe9,
                    nsPerIteration: Double?, measuredIterations: Int = 0, measurementFinished: Bool = true,
                    watchdogFired: Bool = false, threadReturned: Bool = true,
                    totalSeconds: TimeInterval = 0, timeLimit: TimeInterval = KVMCalibration.defaultTimeLimit,
                    samples: [Sample] = []) {
            self.host = host
            self.openErrno = openErrno
            self.apiVersion = apiVersion
            self.vmCreated = vmCreated
            self.vcpuCreated = vcpuCreated
            self.failure = failure
            self.hltExit = hltExit
            self.ioExit = ioExit
            self.ioPort = ioPort
            self.nsPerIteration = nsPerIteration
            self.measuredIterations = measuredIterations
            self.measurementFinished = measurementFinished
            self.watchdogFired = watchdogFired
            self.threadReturned = threadReturned
            self.totalSeconds = totalSeconds
            self.timeLimit = timeLimit
            self.samples = samples
        }

        public var opened: Bool { openErrno == nil }

        public var nsPerInstruction: Double? {
            nsPerIteration.map { $0 / KVMCalibration.instructionsPerIteration }
        }

        public var verdict: Verdict { KVMCalibration.verdict(for: self) }

        /// One line for `isoprobe doctor` and the `--accel auto` notice.
        public var description: String {
            switch verdict {
            case .usable(let ns):
                let module = host.vendorModule.map { ", \($0)" } ?? ""
                return "KVM: guest kernel code runs natively (\(formatNs(ns)) per instruction\(module)); using KVM"
            case .emulated(let ns, let module):
                return "KVM: guest kernel code is emulated here (\(module), ~\(formatNs(ns)) per instruction); using TCG"
            case .unavailable(let reason):
                return "KVM: unavailable (\(reason)); using TCG"
            case .hung(let after):
                return "KVM: the test guest did not come back within \(String(format: "%.2f", after)) s; using TCG"
            }
        }

        /// What would make KVM usable, when something on this host can (doctor's "fix").
        public var fix: String? {
            switch verdict {
            case .usable: return nil
            case .emulated, .hung: return "use a host with VT-x/AMD-V (or nested virtualization enabled); meanwhile --accel tcg"
            case .unavailable:
                if let e = openErrno {
                    if e == EACCES || e == EPERM { return "run as root or add the user to the kvm group" }
                    if e == ENOENT || e == ENXIO || e == ENODEV {
                        if host.vmx { return "modprobe kvm_intel" }
                        if host.svm { return "modprobe kvm_amd" }
                        return "this CPU offers no VT-x/AMD-V: enable nested virtualization or use another host"
                    }
                }
                return nil
            }
        }

        /// Several lines with every figure, for a verbose doctor or a test log.
        public var details: [String] {
            var lines: [String] = []
            var modules = [("kvm", host.kvmModule), ("kvm_intel", host.kvmIntel), ("kvm_amd", host.kvmAMD),
                           ("kvm_pvm", host.kvmPVM)].filter { $0.1 }.map { $0.0 }
            if modules.isEmpty { modules = ["none"] }
            let flags = [("vmx", host.vmx), ("svm", host.svm), ("hypervisor", host.hypervisor)].filter { $0.1 }.map { $0.0 }
            lines.append("modules: \(modules.joined(separator: " ")); cpu flags: \(flags.isEmpty ? "no vmx/svm" : flags.joined(separator: " "))")
            if let e = openErrno {
                lines.append("/dev/kvm: \(String(cString: strerror(e))) (errno \(e))")
            } else {
                lines.append("/dev/kvm: opened, API version \(apiVersion.map(String.init) ?? "?"), VM \(vmCreated ? "created" : "not created"), vCPU \(vcpuCreated ? "created" : "not created")")
            }
            if let f = failure {
                lines.append("failed at \(f.step)\(f.errno != 0 ? ": \(String(cString: strerror(f.errno)))" : "")")
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
                                    s.iterations, s.completed, Double(s.nanoseconds) / 1e6,
                                    s.exit?.name ?? (s.errno == EINTR ? "stopped by the watchdog (EINTR)"
                                                                    : "KVM_RUN failed: \(String(cString: strerror(s.errno)))")))
            }
            return lines
        }
    }

    /// The verdict for a result: the part the thresholds decide, kept pure for the tests.
    public static func verdict(for r: Result) -> Verdict {
        if let e = r.openErrno {
            return .unavailable(reason: openFailure(e, host: r.host))
        }
        if let v = r.apiVersion, v != 12 {
            return .unavailable(reason: "KVM API version \(v), expected 12")
        }
        if let f = r.failure {
            if f.step == "guest exit", let sample = r.samples.last(where: { $0.exit != nil }), let exit = sample.exit {
                return .unavailable(reason: "the test guest stopped with \(exit.name)")
            }
            let cause = f.errno != 0 ? ": \(String(cString: strerror(f.errno)))" : ""
            return .unavailable(reason: "\(f.step) failed\(cause)")
        }
        if let ns = r.nsPerIteration, ns > 0 {
            let perInstruction = ns / instructionsPerIteration
            if ns < usableBelowNsPerIteration {
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
        let text = String(cString: strerror(e))
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

    /// Runs the calibration: at most `iterations` loop iterations in the longest run and never
    /// much longer than `timeLimit` seconds in all (the vCPU is stopped at the limit less a
    /// grace period of up to 0.25 s, and the call returns at the limit even if it is stuck).
    public static func run(iterations: Int = defaultIterations,
                           timeLimit: TimeInterval = defaultTimeLimit) -> Result {
        run(iterations: iterations, timeLimit: timeLimit, spin: false)
    }

    /// For the tests: `spin` makes the guest `l: jmp l`, which only the watchdog ends (the hung
    /// path); `minimumRun` is how long a run must take to end the tenfold growth (default 5 ms).
    static func run(iterations: Int, timeLimit: TimeInterval, spin: Bool,
                    minimumRun: TimeInterval? = nil) -> Result {
        var options = isoprobe_kvm_options()
        options.max_iterations = UInt64(max(1, min(iterations, Int(UInt32.max))))
        options.time_limit_ns = UInt64(max(0.001, timeLimit) * 1e9)
        options.min_run_ns = minimumRun.map { UInt64(max(1e-6, $0) * 1e9) } ?? 0
        options.spin = spin ? 1 : 0
        var c = isoprobe_kvm_calibration()
        _ = isoprobe_kvm_calibrate(&options, &c)
        return Result(c, timeLimit: timeLimit)
    }

    /// One calibration per process, run on first use (doctor and `--accel auto` share it).
    public static let shared: Result = run()
}

extension KVMCalibration.Result {
    init(_ c: isoprobe_kvm_calibration, timeLimit: TimeInterval) {
        var samples: [KVMCalibration.Sample] = []
        withUnsafeBytes(of: c.samples) { raw in
            let all = raw.bindMemory(to: isoprobe_kvm_sample.self)
            for s in all.prefix(Int(c.nsamples)) {
                let program: KVMCalibration.Sample.Program =
                    s.variant == Int32(ISOPROBE_KVM_VARIANT_IO.rawValue) ? .io
                    : s.variant == Int32(ISOPROBE_KVM_VARIANT_SPIN.rawValue) ? .spin : .hlt
                samples.append(KVMCalibration.Sample(
                    program: program, iterations: Int(s.iterations), completed: Int(s.completed),
                    nanoseconds: s.elapsed_ns, exit: s.exit_reason >= 0 ? KVMExitReason(rawValue: s.exit_reason) : nil,
                    errno: s.run_errno, ioPort: s.exit_reason == 2 ? UInt16(truncatingIfNeeded: s.io_port) : nil))
            }
        }
        self.init(host: KVMCalibration.HostSignals(c),
                  openErrno: c.opened != 0 || c.open_errno == 0 ? nil : c.open_errno,
                  apiVersion: c.api_version >= 0 ? Int(c.api_version) : nil,
                  vmCreated: c.vm_created != 0, vcpuCreated: c.vcpu_created != 0,
                  failure: c.failed_step.map { KVMCalibration.Failure(step: String(cString: $0), errno: c.failed_errno) },
                  hltExit: c.hlt_exit_reason >= 0 ? KVMExitReason(rawValue: c.hlt_exit_reason) : nil,
                  ioExit: c.io_exit_reason >= 0 ? KVMExitReason(rawValue: c.io_exit_reason) : nil,
                  ioPort: c.io_exit_reason >= 0 ? UInt16(truncatingIfNeeded: c.io_port) : nil,
                  nsPerIteration: c.ns_per_iteration > 0 ? c.ns_per_iteration : nil,
                  measuredIterations: Int(c.measured_iterations),
                  measurementFinished: c.measurement_finished != 0,
                  watchdogFired: c.watchdog_fired != 0, threadReturned: c.thread_returned != 0,
                  totalSeconds: Double(c.total_ns) / 1e9, timeLimit: timeLimit, samples: samples)
    }
}

/// "0.4 ns", "410 ns", "1.2 µs".
func formatNs(_ ns: Double) -> String {
    if ns < 10 { return String(format: "%.1f ns", ns) }
    if ns < 1000 { return "\(Int((ns / (ns < 100 ? 1 : 10)).rounded()) * (ns < 100 ? 1 : 10)) ns" }
    return String(format: "%.1f µs", ns / 1000)
}
