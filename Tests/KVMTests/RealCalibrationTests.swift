import Foundation
import IsoprobeCore
@testable import KVM
import Testing

/// The calibration against this machine's /dev/kvm. Serialized: two guests at once on a
/// two-core machine would slow each other down.
@Suite(.serialized, .enabled(if: KVMSupport.devKVMUsable || KVMSupport.inCI, KVMSupport.skipReason))
struct RealCalibrationTests {
    @Test func returnsWithinTheCapWithTheMachinesVerdict() throws {
        try KVMSupport.requireDevKVM()
        let cap: TimeInterval = 2
        let (r, wall) = KVMSupport.timed { KVMCalibration.run(iterations: 10_000_000, timeLimit: cap) }
        print("KVM calibration: \(r)")
        r.details.forEach { print("  " + $0) }
        print(String(format: "  wall time around the call: %.1f ms", wall * 1000))

        #expect(wall < cap + 0.1, "the calibration took \(wall) s, over its \(cap) s cap")
        #expect(r.totalSeconds <= wall)
        #expect(r.opened && r.apiVersion == 12 && r.vmCreated && r.vcpuCreated, "\(r.details)")
        #expect(r.failure == nil, "\(r.details)")
        #expect(r.hltExit == .hlt, "hlt program: \(String(describing: r.hltExit))")
        #expect(r.ioExit == .io && r.ioPort == 0xe9, "out program: \(String(describing: r.ioExit)) port \(String(describing: r.ioPort))")
        #expect(r.threadReturned)
        #expect(!r.description.contains("\n"))

        // The machine facts decide what the verdict must be.
        let facts = KVMCalibration.HostSignals.read()
        #expect(facts == r.host)
        #expect(facts.kvmPVM == KVMSupport.module("kvm_pvm"))
        if facts.kvmPVM {
            switch r.verdict {
            case .emulated(let ns, let module):
                #expect(module == "kvm_pvm")
                #expect(ns > 50, "emulated CPL0 code costs hundreds of ns per instruction here, measured \(ns)")
            case .hung:
                break
            default:
                Issue.record("kvm_pvm is loaded, so guest kernel code is emulated, but the verdict is \(r.verdict)")
            }
            let perIteration = try #require(r.nsPerIteration, "no ns/iteration measured: \(r.details)")
            #expect(perIteration > 100, "kvm_pvm emulates the loop: expected > 100 ns per iteration, measured \(perIteration)")
            #expect(r.description.contains("guest kernel code is emulated here (kvm_pvm, ~"))
            #expect(r.description.hasSuffix("; using TCG"))
        } else if let emulator = facts.emulator {
            // An emulated host's nested KVM runs the loop fast, and the verdict says whose figures they are.
            guard case .emulatedHost(_, let named) = r.verdict else {
                Issue.record("this host is emulated by \(emulator), but the verdict is \(r.verdict)")
                return
            }
            #expect(named == emulator && !r.verdict.isUsable)
        } else if facts.kvmIntel || facts.kvmAMD {
            // VT-x/AMD-V (nested too) runs the loop on the CPU.
            #expect(r.verdict.isUsable, "\(facts.vendorModule ?? "kvm") host, verdict \(r.verdict): \(r.details)")
            if let ns = r.nsPerIteration { #expect(ns < KVMCalibration.usableBelowNsPerIteration) }
        }
    }

    @Test func accelChoiceOnThisMachine() throws {
        try KVMSupport.requireDevKVM()
        let r = KVMCalibration.run(timeLimit: 2)
        #expect(try AccelChoice.resolve(requested: .tcg, calibration: r) == .tcg)
        if r.verdict.isUsable {
            #expect(try AccelChoice.resolve(requested: .auto, calibration: r) == .kvm)
            #expect(try AccelChoice.resolve(requested: .kvm, calibration: r) == .kvm)
            return
        }
        #expect(!KVMSupport.module("kvm_pvm") || !r.verdict.isUsable)
        #expect(try AccelChoice.resolve(requested: .auto, calibration: r) == .tcg)
        let (outcome, wall) = KVMSupport.timed { Result { try AccelChoice.resolve(requested: .kvm, calibration: r) } }
        #expect(wall < 0.01, "resolving from a finished calibration does no work")
        switch outcome {
        case .success(let accel):
            Issue.record("--accel kvm was accepted (\(accel)) on a host where \(r)")
        case .failure(let error):
            let e = try #require(error as? IsoprobeError)
            print("--accel kvm here: \(e)")
            #expect(e.kind == .missing && e.exitCode == 3)
            #expect(!e.description.contains("\n"))
            #expect(e.description.contains("use --accel tcg"))
            #expect(e.description.contains(AccelChoice.reason(r.verdict)))
        }
    }

    /// The whole `--accel kvm` decision, calibration included, fails well within 30 s.
    @Test func accelKVMFailsFast() throws {
        try KVMSupport.requireDevKVM()
        let (outcome, wall) = KVMSupport.timed {
            Result { try AccelChoice.resolve(requested: .kvm, calibrate: { KVMCalibration.run() }) }
        }
        print(String(format: "--accel kvm decided in %.1f ms", wall * 1000))
        #expect(wall < KVMCalibration.defaultTimeLimit + 0.1)
        if KVMSupport.module("kvm_pvm") {
            #expect(throws: IsoprobeError.self) { try outcome.get() }
        }
    }

    /// A guest that never exits by itself: the watchdog stops it and the verdict is `.hung`.
    @Test func watchdogStopsAGuestThatNeverExits() throws {
        try KVMSupport.requireDevKVM()
        let cap: TimeInterval = 0.5
        let (r, wall) = KVMSupport.timed { KVMCalibration.run(iterations: 1000, timeLimit: cap, spin: true) }
        r.details.forEach { print("  " + $0) }
        #expect(wall < cap + 0.1, "took \(wall) s for a \(cap) s cap")
        #expect(r.watchdogFired && r.threadReturned)
        #expect(r.samples.count == 1 && r.samples.first?.program == .spin)
        #expect(r.samples.first?.errno == EINTR || r.samples.first?.exit == .intr)
        guard case .hung(let after) = r.verdict else {
            Issue.record("expected .hung, got \(r.verdict)")
            return
        }
        #expect(after > cap / 2 && after <= wall)
        #expect(r.description.contains("did not come back within"))
        #expect(throws: IsoprobeError.self) { try AccelChoice.resolve(requested: .kvm, calibration: r) }
        #expect(try AccelChoice.resolve(requested: .auto, calibration: r) == .tcg)
    }

    /// A cap too short for even the set-up: the call returns at the cap, whether or not the
    /// vCPU thread is back, and the thread closes the VM by itself later.
    @Test func capShorterThanTheSetUpReturnsAndCleansUpLater() throws {
        try KVMSupport.requireDevKVM()
        let fd = Glibc.open("/dev/kvm", O_RDWR)
        #expect(KVMSupport.kvmDescriptors() >= 1, "an open /dev/kvm is counted")
        close(fd)
        let cap: TimeInterval = 0.001
        let (r, wall) = KVMSupport.timed { KVMCalibration.run(iterations: 1000, timeLimit: cap) }
        r.details.forEach { print("  " + $0) }
        #expect(wall < cap + 0.1, "took \(wall) s for a \(cap) s cap")
        // The watchdog fires at the cap; the vCPU thread may still finish its measurement in
        // the moment before the call returns, which is a race the test does not decide.
        #expect(r.watchdogFired, "no calibration fits in \(cap) s")
        if r.nsPerIteration == nil, r.failure == nil {
            #expect(r.verdict == .hung(after: r.totalSeconds))
        }
        var open = KVMSupport.kvmDescriptors()
        for _ in 0..<100 where open > 0 {
            usleep(50_000)
            open = KVMSupport.kvmDescriptors()
        }
        #expect(open == 0, "the vCPU thread left \(open) KVM file descriptors open")
    }

    /// A run stopped at the cap still yields a figure from the iterations it got through.
    @Test func runStoppedAtTheCapIsStillMeasured() throws {
        try KVMSupport.requireDevKVM()
        // 1 s leaves the vCPU the longest grace (250 ms) to come back: other suites load the
        // machine meanwhile, and a nested KVM_RUN can take a while to see the kick.
        let cap: TimeInterval = 1.0
        // Growth only ends at 10 s runs, so the watchdog stops it (unless 4e9 iterations finish first).
        let (r, wall) = KVMSupport.timed {
            KVMCalibration.run(iterations: Int(UInt32.max), timeLimit: cap, spin: false, minimumRun: 10)
        }
        r.details.forEach { print("  " + $0) }
        #expect(wall < cap + 0.1)
        #expect(r.watchdogFired && r.threadReturned)
        #expect(!r.measurementFinished)
        let ns = try #require(r.nsPerIteration)
        #expect(r.measuredIterations > 0)
        if KVMSupport.module("kvm_pvm") {
            #expect(ns > 100)
            #expect(!r.verdict.isUsable)
        }
    }
}
