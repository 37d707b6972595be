@testable import KVM
import Testing

/// /sys/module and /proc/cpuinfo as the calibration reads them, on text made up here.
struct HostSignalsTests {
    static let cpuinfo = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        flags\t\t: fpu vme de pse tsc msr vmx smx est hypervisor lahf_lm
        bugs\t\t: spectre_v1 svm_fake
        processor\t: 1
        flags\t\t: fpu svm
        """

    @Test func flagsOfTheFirstProcessorOnly() {
        let flags = KVMCalibration.HostSignals.cpuFlags(Self.cpuinfo)
        #expect(flags.contains("vmx") && flags.contains("hypervisor") && flags.contains("fpu"))
        #expect(!flags.contains("svm"), "only the first flags line counts")
        #expect(!flags.contains("svm_fake") && !flags.contains("flags"))
        #expect(KVMCalibration.HostSignals.cpuFlags("processor : 0\n").isEmpty)
    }

    @Test func wholeWordsOnly() {
        let flags = KVMCalibration.HostSignals.cpuFlags("flags:vmx_ept svmx\tsvm\n")
        #expect(!flags.contains("vmx") && flags.contains("svm"))
    }

    @Test func modulesAndFlags() {
        let loaded: Set<String> = ["kvm", "kvm_pvm"]
        let s = KVMCalibration.HostSignals.read(moduleLoaded: { loaded.contains($0) }, cpuinfo: Self.cpuinfo)
        #expect(s == KVMCalibration.HostSignals(kvmModule: true, kvmPVM: true, vmx: true, hypervisor: true))
        #expect(s.vendorModule == "kvm_pvm")
        let none = KVMCalibration.HostSignals.read(moduleLoaded: { _ in false }, cpuinfo: "")
        #expect(none == KVMCalibration.HostSignals())
        #expect(none.vendorModule == nil)
    }

    @Test func thisMachine() {
        let s = KVMCalibration.HostSignals.read()
        #expect(s.kvmModule == KVMSupport.module("kvm"))
        #expect(s.kvmPVM == KVMSupport.module("kvm_pvm"))
        #expect(s.kvmIntel == KVMSupport.module("kvm_intel"))
        #expect(s.kvmAMD == KVMSupport.module("kvm_amd"))
    }
}
