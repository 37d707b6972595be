import Foundation
import IsoprobeCore
@testable import KVM
import Testing

/// A host that is itself emulated: the hypervisor leaf read, the verdict it changes, and the
/// `--no-calibration` override of `--accel kvm`.
struct FirstLevelHostTests {
    static let tcgAMD = KVMCalibration.HostSignals(kvmModule: true, kvmAMD: true, svm: true, hypervisor: true,
                                                   hypervisorSignature: "TCGTCGTCGTCG")
    static let nestedOnKVM = KVMCalibration.HostSignals(kvmModule: true, kvmIntel: true, vmx: true, hypervisor: true,
                                                        hypervisorSignature: "KVMKVMKVM")

    /// The registers as CPUID fills them: little-endian words, NUL padding dropped.
    @Test func signatureFromRegisters() {
        func word(_ s: String) -> UInt32 { s.utf8.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) } }
        #expect(KVMCalibration.FirstLevelHost.signature(ebx: word("TCGT"), ecx: word("CGTC"), edx: word("GTCG")) == "TCGTCGTCGTCG")
        #expect(KVMCalibration.FirstLevelHost.signature(ebx: word("KVMK"), ecx: word("VMKV"), edx: word("M")) == "KVMKVMKVM")
        #expect(KVMCalibration.FirstLevelHost.signature(ebx: 0, ecx: 0, edx: 0) == nil)
        #expect(KVMCalibration.FirstLevelHost.signature(ebx: 0x0102_0304, ecx: 0, edx: 0) == nil)
    }

    @Test func onlyAnEmulatorIsNamed() {
        #expect(Self.tcgAMD.emulator == "QEMU's TCG")
        #expect(Self.nestedOnKVM.emulator == nil)
        #expect(KVMCalibration.HostSignals().emulator == nil)
    }

    /// Fast loops under an emulator: KVM works, the verdict says whose figures they are, and
    /// neither auto nor kvm takes it.
    @Test func fastUnderAnEmulatorIsTheEmulatedHostVerdict() throws {
        let r = KVMCalibration.Result(host: Self.tcgAMD, nsPerIteration: 2.2)
        #expect(r.verdict == .emulatedHost(nsPerInstruction: 1.1, emulator: "QEMU's TCG"))
        #expect(!r.verdict.isUsable)
        #expect(r.description.contains("works (1.1 ns per instruction, kvm_amd)"), "\(r.description)")
        #expect(r.description.contains("do not stand for KVM on hardware"), "\(r.description)")
        #expect(r.fix?.contains("--no-calibration") == true)
        #expect(try AccelChoice.resolve(requested: .auto, calibration: r) == .tcg)
        #expect(throws: IsoprobeError.self) { try AccelChoice.resolve(requested: .kvm, calibration: r) }
        // Slow under an emulator is still plain emulation.
        let slow = KVMCalibration.Result(host: Self.tcgAMD, nsPerIteration: 800)
        #expect(slow.verdict == .emulated(nsPerInstruction: 400, module: "kvm_amd"))
        // Nested on a hardware hypervisor is KVM on hardware.
        #expect(KVMCalibration.Result(host: Self.nestedOnKVM, nsPerIteration: 2.2).verdict.isUsable)
    }

    @Test func noCalibrationOverridesOnlyKVM() throws {
        var asked = 0
        let refusing = { () -> KVMCalibration.Result in
            asked += 1
            return KVMCalibration.Result(host: Self.tcgAMD, nsPerIteration: 2.2)
        }
        #expect(try AccelChoice.resolve(requested: .kvm, skipCalibration: true, calibrate: refusing) == .kvm)
        #expect(asked == 0, "the override must not run the calibration")
        #expect(throws: IsoprobeError.self) { try AccelChoice.resolve(requested: .kvm, skipCalibration: false, calibrate: refusing) }
        #expect(try AccelChoice.resolve(requested: .auto, skipCalibration: true, calibrate: refusing) == .tcg)
        #expect(try AccelChoice.resolve(requested: .tcg, skipCalibration: true, calibrate: refusing) == .tcg)
    }
}
