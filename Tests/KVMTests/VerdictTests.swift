import Foundation
import IsoprobeCore
@testable import KVM
import Testing

/// The thresholds and messages, on synthetic measurements.
struct VerdictTests {
    static let pvm = KVMCalibration.HostSignals(kvmModule: true, kvmPVM: true, hypervisor: true)
    static let intel = KVMCalibration.HostSignals(kvmModule: true, kvmIntel: true, vmx: true)

    @Test(arguments: [0.3, 0.6, 1.0, 5.0, 19.9])
    func nativeSpeedIsUsable(nsPerIteration: Double) {
        let r = KVMCalibration.Result(host: Self.intel, nsPerIteration: nsPerIteration)
        #expect(r.verdict == .usable(nsPerInstruction: nsPerIteration / 2))
        #expect(r.description.hasPrefix("KVM: guest kernel code runs natively ("))
        #expect(r.description.hasSuffix("kvm_intel); using KVM"))
        #expect(r.fix == nil)
    }

    @Test(arguments: [20.0, 150.0, 815.0, 2000.0, 1e6])
    func slowerIsEmulated(nsPerIteration: Double) {
        let r = KVMCalibration.Result(host: Self.pvm, nsPerIteration: nsPerIteration)
        #expect(r.verdict == .emulated(nsPerInstruction: nsPerIteration / 2, module: "kvm_pvm"))
        #expect(!r.verdict.isUsable)
        #expect(r.description.hasSuffix("; using TCG"))
    }

    @Test func pvmFigureReadsAsExpected() {
        let r = KVMCalibration.Result(host: Self.pvm, nsPerIteration: 815)
        #expect(r.description == "KVM: guest kernel code is emulated here (kvm_pvm, ~410 ns per instruction); using TCG")
        let slower = KVMCalibration.Result(host: Self.pvm, nsPerIteration: 2100)
        #expect(slower.description == "KVM: guest kernel code is emulated here (kvm_pvm, ~1.1 µs per instruction); using TCG")
    }

    @Test func emulatedWithoutPVMNamesTheModuleThere() {
        let r = KVMCalibration.Result(host: Self.intel, nsPerIteration: 900)
        #expect(r.verdict == .emulated(nsPerInstruction: 450, module: "kvm_intel"))
        let bare = KVMCalibration.Result(host: KVMCalibration.HostSignals(kvmModule: true), nsPerIteration: 900)
        #expect(bare.verdict == .emulated(nsPerInstruction: 450, module: "kvm"))
    }

    @Test func thresholdIsTwentyNsPerIteration() {
        #expect(KVMCalibration.usableBelowNsPerIteration == 20)
        #expect(KVMCalibration.Result(nsPerIteration: 19.99).verdict.isUsable)
        #expect(!KVMCalibration.Result(nsPerIteration: 20).verdict.isUsable)
    }

    @Test func stoppedRunWithAFigureIsJudgedByTheFigure() {
        let r = KVMCalibration.Result(host: Self.pvm, nsPerIteration: 880, measurementFinished: false,
                                      watchdogFired: true, totalSeconds: 1.75)
        #expect(r.verdict == .emulated(nsPerInstruction: 440, module: "kvm_pvm"))
    }

    @Test func noFigureAfterTheWatchdogIsHung() {
        let r = KVMCalibration.Result(host: Self.pvm, hltExit: nil, ioExit: nil, ioPort: nil, nsPerIteration: nil,
                                      watchdogFired: true, totalSeconds: 1.75)
        #expect(r.verdict == .hung(after: 1.75))
        #expect(r.description == "KVM: the test guest did not come back within 1.75 s; using TCG")
        let stuck = KVMCalibration.Result(nsPerIteration: nil, watchdogFired: true, threadReturned: false, totalSeconds: 2)
        #expect(stuck.verdict == .hung(after: 2))
    }

    @Test func missingDevKVM() {
        let none = KVMCalibration.Result(host: KVMCalibration.HostSignals(), openErrno: ENOENT, apiVersion: nil,
                                         vmCreated: false, vcpuCreated: false, nsPerIteration: nil)
        #expect(none.verdict == .unavailable(reason: "no /dev/kvm: no kvm module is loaded and the CPU shows no vmx/svm"))
        #expect(none.description == "KVM: unavailable (no /dev/kvm: no kvm module is loaded and the CPU shows no vmx/svm); using TCG")
        #expect(none.fix?.contains("no VT-x/AMD-V") == true)

        let vmx = KVMCalibration.Result(host: KVMCalibration.HostSignals(vmx: true), openErrno: ENOENT, apiVersion: nil,
                                        vmCreated: false, vcpuCreated: false, nsPerIteration: nil)
        #expect(vmx.verdict == .unavailable(reason: "no /dev/kvm: no kvm module is loaded"))
        #expect(vmx.fix == "modprobe kvm_intel")
    }

    @Test func permissionDenied() {
        let r = KVMCalibration.Result(host: Self.intel, openErrno: EACCES, apiVersion: nil, vmCreated: false,
                                      vcpuCreated: false, nsPerIteration: nil)
        guard case .unavailable(let reason) = r.verdict else {
            Issue.record("expected .unavailable, got \(r.verdict)")
            return
        }
        #expect(reason == "cannot open /dev/kvm: Permission denied")
        #expect(r.fix == "run as root or add the user to the kvm group")
    }

    @Test func failedStepsAndGuestExits() {
        let vm = KVMCalibration.Result(vmCreated: false, vcpuCreated: false,
                                       failure: .init(step: "KVM_CREATE_VM", errno: EBUSY), nsPerIteration: nil)
        #expect(vm.verdict == .unavailable(reason: "KVM_CREATE_VM failed: Device or resource busy"))

        let exit = KVMCalibration.Sample(program: .hlt, iterations: 1, completed: 0, nanoseconds: 1000,
                                         exit: .internalError)
        let guest = KVMCalibration.Result(failure: .init(step: "guest exit", errno: 0), hltExit: nil, ioExit: nil,
                                          nsPerIteration: nil, samples: [exit])
        #expect(guest.verdict == .unavailable(reason: "the test guest stopped with KVM_EXIT_INTERNAL_ERROR"))

        let api = KVMCalibration.Result(apiVersion: 11, nsPerIteration: nil)
        #expect(api.verdict == .unavailable(reason: "KVM API version 11, expected 12"))
    }

    @Test func everyDescriptionIsOneLine() {
        let results = [
            KVMCalibration.Result(host: Self.intel, nsPerIteration: 0.5),
            KVMCalibration.Result(host: Self.pvm, nsPerIteration: 815),
            KVMCalibration.Result(openErrno: ENOENT, nsPerIteration: nil),
            KVMCalibration.Result(nsPerIteration: nil, watchdogFired: true, totalSeconds: 1.75),
        ]
        for r in results {
            #expect(!r.description.isEmpty && !r.description.contains("\n"), "\(r.description)")
            #expect(!r.details.isEmpty)
        }
    }

    @Test func resultRoundTripsThroughJSON() throws {
        let r = KVMCalibration.Result(host: Self.pvm, nsPerIteration: 815, measuredIterations: 10_000,
                                      samples: [.init(program: .io, iterations: 10_000, completed: 10_000,
                                                      nanoseconds: 8_150_000, exit: .io, ioPort: 0xe9)])
        let back = try JSONDecoder().decode(KVMCalibration.Result.self, from: JSONEncoder().encode(r))
        #expect(back == r)
        #expect(back.verdict == r.verdict)
    }

    @Test func formatting() {
        #expect(formatNs(0.42) == "0.4 ns")
        #expect(formatNs(12.4) == "12 ns")
        #expect(formatNs(407.5) == "410 ns")
        #expect(formatNs(1234) == "1.2 µs")
        #expect(KVMExitReason.io.name == "KVM_EXIT_IO")
        #expect(KVMExitReason.hlt.name == "KVM_EXIT_HLT")
        #expect(KVMExitReason(rawValue: 10).name == "KVM_EXIT_INTR")
        #expect(KVMExitReason(rawValue: 17) == .internalError)
        #expect(KVMExitReason(rawValue: 999).name == "KVM_EXIT_999")
    }
}

/// `--accel` resolution on synthetic calibrations.
struct AccelChoiceTests {
    static let usable = KVMCalibration.Result(host: VerdictTests.intel, nsPerIteration: 0.6)
    static let emulated = KVMCalibration.Result(host: VerdictTests.pvm, nsPerIteration: 815)
    static let missing = KVMCalibration.Result(openErrno: ENOENT, apiVersion: nil, vmCreated: false,
                                               vcpuCreated: false, nsPerIteration: nil)
    static let hung = KVMCalibration.Result(nsPerIteration: nil, watchdogFired: true, totalSeconds: 1.75)

    @Test func usableHost() throws {
        #expect(try AccelChoice.resolve(requested: .auto, calibration: Self.usable) == .kvm)
        #expect(try AccelChoice.resolve(requested: .kvm, calibration: Self.usable) == .kvm)
        #expect(try AccelChoice.resolve(requested: .tcg, calibration: Self.usable) == .tcg)
    }

    @Test(arguments: [AccelChoiceTests.emulated, AccelChoiceTests.missing, AccelChoiceTests.hung])
    func unusableHost(_ calibration: KVMCalibration.Result) throws {
        #expect(try AccelChoice.resolve(requested: .auto, calibration: calibration) == .tcg)
        #expect(try AccelChoice.resolve(requested: .tcg, calibration: calibration) == .tcg)
        let error = #expect(throws: IsoprobeError.self) {
            try AccelChoice.resolve(requested: .kvm, calibration: calibration)
        }
        #expect(error?.kind == .missing)
        #expect(error?.exitCode == 3)
        let line = error?.description ?? ""
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("--accel kvm: KVM is not usable here: "))
        #expect(line.hasSuffix("(use --accel tcg, or --accel auto)"))
        #expect(line.contains(AccelChoice.reason(calibration.verdict)))
    }

    @Test func emulatedRefusalReads() throws {
        let error = #expect(throws: IsoprobeError.self) {
            try AccelChoice.resolve(requested: .kvm, calibration: Self.emulated)
        }
        #expect(error?.description ==
            "--accel kvm: KVM is not usable here: guest kernel code is emulated (kvm_pvm, ~410 ns per instruction) (use --accel tcg, or --accel auto)")
    }

    @Test func tcgNeverCalibrates() throws {
        var calls = 0
        #expect(try AccelChoice.resolve(requested: .tcg, calibrate: { calls += 1; return Self.usable }) == .tcg)
        #expect(calls == 0)
        #expect(try AccelChoice.resolve(requested: .auto, calibrate: { calls += 1; return Self.emulated }) == .tcg)
        #expect(calls == 1)
    }

    @Test func requestNames() {
        #expect(AccelRequest(rawValue: "auto") == .auto)
        #expect(AccelRequest(rawValue: "kvm") == .kvm)
        #expect(AccelRequest(rawValue: "tcg") == .tcg)
        #expect(AccelRequest(rawValue: "hvf") == nil)
        #expect(AccelRequest.allCases.map(\.rawValue) == ["auto", "kvm", "tcg"])
    }
}
