import Foundation

extension KVMCalibration {
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
        /// Port writes after the measurement that exited to isoprobe as KVM_EXIT_IO (0 unless asked for).
        public var portWrites = 0

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
            case .emulatedHost(let ns, let emulator):
                let module = host.vendorModule.map { ", \($0)" } ?? ""
                return "KVM: works (\(formatNs(ns)) per instruction\(module)), but this host is itself emulated by \(emulator): "
                    + "its figures do not stand for KVM on hardware; using TCG (--accel kvm --no-calibration uses it anyway)"
            }
        }

        /// What would make KVM usable, when something on this host can (doctor's "fix").
        public var fix: String? {
            switch verdict {
            case .usable: return nil
            case .emulated, .hung: return "use a host with VT-x/AMD-V (or nested virtualization enabled); meanwhile --accel tcg"
            case .emulatedHost: return "use a host with VT-x/AMD-V for figures that stand for hardware; --accel kvm --no-calibration runs on this KVM anyway"
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

        /// A calibration's parts: the host, how far set-up got, what the runs found, the watchdog.
        init(host: HostSignals, setup: Setup, measurement: Measurement, watchdogFired: Bool, threadReturned: Bool,
             totalSeconds: TimeInterval, timeLimit: TimeInterval) {
            self.init(host: host, openErrno: setup.openErrno, apiVersion: setup.apiVersion, vmCreated: setup.vmCreated,
                      vcpuCreated: setup.vcpuCreated, failure: setup.failure ?? measurement.failure,
                      hltExit: measurement.hltExit, ioExit: measurement.ioExit, ioPort: measurement.ioPort,
                      nsPerIteration: measurement.nsPerIteration, measuredIterations: measurement.measuredIterations,
                      measurementFinished: measurement.measurementFinished, watchdogFired: watchdogFired,
                      threadReturned: threadReturned, totalSeconds: totalSeconds, timeLimit: timeLimit,
                      samples: measurement.samples)
            portWrites = measurement.portWrites
        }
    }
}
