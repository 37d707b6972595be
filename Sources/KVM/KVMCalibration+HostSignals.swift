import Foundation
import Host

extension KVMCalibration {
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
        /// CPUID's hypervisor leaf ("KVMKVMKVM", "TCGTCGTCGTCG", ...); nil on bare metal.
        public var hypervisorSignature: String?

        public init(kvmModule: Bool = false, kvmIntel: Bool = false, kvmAMD: Bool = false, kvmPVM: Bool = false,
                    vmx: Bool = false, svm: Bool = false, hypervisor: Bool = false, hypervisorSignature: String? = nil) {
            self.kvmModule = kvmModule
            self.kvmIntel = kvmIntel
            self.kvmAMD = kvmAMD
            self.kvmPVM = kvmPVM
            self.vmx = vmx
            self.svm = svm
            self.hypervisor = hypervisor
            self.hypervisorSignature = hypervisorSignature
        }

        /// The emulator this host runs under (QEMU's TCG), nil on hardware or a VT-x/AMD-V hypervisor.
        public var emulator: String? { FirstLevelHost.emulator(hypervisorSignature) }

        /// The vendor module behind /dev/kvm (kvm_pvm first: it can sit beside the others).
        public var vendorModule: String? {
            if kvmPVM { return "kvm_pvm" }
            if kvmIntel { return "kvm_intel" }
            if kvmAMD { return "kvm_amd" }
            return nil
        }

        /// Reads the facts only (cheap: four access() calls and /proc/cpuinfo).
        public static func read() -> HostSignals {
            read(moduleLoaded: { access("/sys/module/" + $0, F_OK) == 0 }, cpuinfo: ProcFS.cpuinfo() ?? "",
                 hypervisorSignature: FirstLevelHost.signature())
        }

        static func read(moduleLoaded: (String) -> Bool, cpuinfo: String, hypervisorSignature: String? = nil) -> HostSignals {
            let flags = cpuFlags(cpuinfo)
            return HostSignals(kvmModule: moduleLoaded("kvm"), kvmIntel: moduleLoaded("kvm_intel"),
                               kvmAMD: moduleLoaded("kvm_amd"), kvmPVM: moduleLoaded("kvm_pvm"),
                               vmx: flags.contains("vmx"), svm: flags.contains("svm"),
                               hypervisor: flags.contains("hypervisor"), hypervisorSignature: hypervisorSignature)
        }

        /// The words of the first `flags` line ("flags\t\t: fpu vme ... vmx ...").
        static func cpuFlags(_ cpuinfo: String) -> Set<Substring> {
            guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
            return Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).dropFirst())
        }
    }
}
