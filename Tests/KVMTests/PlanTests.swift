import Foundation
@testable import KVM
import Testing

/// The calibration's rules (growth, repeats, slope, stops and failures) on samples made up here.
struct PlanTests {
    typealias Plan = KVMCalibration.Plan
    typealias Run = KVMCalibration.Run
    typealias Sample = KVMCalibration.Sample

    static func options(max: Int = KVMCalibration.defaultIterations, minimumRunNs: UInt64 = 5_000_000,
                        repeats: Int = 3, spin: Bool = false) -> KVMCalibration.Options {
        KVMCalibration.Options(maxIterations: max, timeLimitNs: 2_000_000_000, minimumRunNs: minimumRunNs,
                               repeats: repeats, spin: spin)
    }

    /// A run that reached its exit after `ns`.
    static func exited(_ run: Run, ns: UInt64) -> Sample {
        Sample(program: run.program, iterations: run.iterations, completed: run.iterations, nanoseconds: ns,
               exit: run.program == .hlt ? .hlt : .io, ioPort: run.program == .io ? 0xe9 : nil)
    }

    /// A vCPU whose runs take `fixedNs` plus `perIteration` per iteration.
    static func linear(fixedNs: Double, perIteration: Double) -> (Run) -> Sample {
        { run in exited(run, ns: UInt64(fixedNs + perIteration * Double(run.iterations))) }
    }

    /// Runs the plan to its end against `vcpu`; the runs it asked for, and what it found.
    static func drive(_ options: KVMCalibration.Options,
                      _ vcpu: (Run) -> Sample) -> (runs: [Run], found: KVMCalibration.Measurement) {
        var plan = Plan(options: options)
        var runs: [Run] = []
        while let run = plan.next {
            #expect(runs.count < 30, "the plan does not end")
            guard runs.count < 30 else { break }
            runs.append(run)
            plan.record(vcpu(run))
        }
        return (runs, plan.measurement)
    }

    /// A calibration whose vCPU was set up and whose runs found `found`; `stoppedAfter`: the
    /// watchdog stopped it after that many seconds.
    static func result(_ found: KVMCalibration.Measurement, host: KVMCalibration.HostSignals = .init(),
                       stoppedAfter: TimeInterval? = nil) -> KVMCalibration.Result {
        KVMCalibration.Result(host: host, setup: .init(apiVersion: 12, vmCreated: true, vcpuCreated: true),
                              measurement: found, watchdogFired: stoppedAfter != nil, threadReturned: true,
                              totalSeconds: stoppedAfter ?? 0.03, timeLimit: 2)
    }

    static func io(_ sizes: [Int]) -> [Run] {
        sizes.map { Run(program: .io, iterations: $0) }
    }

    static let warmUp = [Run(program: .hlt, iterations: 1)] + io([1, 1])

    @Test func emulatedHostGrowsUntilFiveMillisecondsThenRepeats() {
        let (runs, found) = Self.drive(Self.options(), Self.linear(fixedNs: 20_000, perIteration: 850))
        #expect(runs == Self.warmUp + Self.io([1000, 10_000, 10_000, 10_000]))
        let ns = found.nsPerIteration ?? 0
        #expect(abs(ns - 850) < 0.01, "the slope takes the fixed cost out: \(ns)")
        #expect(found.measuredIterations == 10_000 && found.measurementFinished)
        #expect(found.hltExit == .hlt && found.ioExit == .io && found.ioPort == 0xe9)
        #expect(found.failure == nil)
        #expect(found.samples.count == runs.count)
        #expect(Self.result(found, host: VerdictTests.pvm).verdict == .emulated(nsPerInstruction: 425, module: "kvm_pvm"))
    }

    @Test func nativeHostGrowsToTheLargestSize() {
        let (runs, found) = Self.drive(Self.options(), Self.linear(fixedNs: 30_000, perIteration: 0.5))
        #expect(runs == Self.warmUp + Self.io([1000, 10_000, 100_000, 1_000_000, 10_000_000, 10_000_000, 10_000_000]))
        #expect(found.measuredIterations == 10_000_000)
        let ns = found.nsPerIteration ?? 0
        #expect(ns > 0.49 && ns < 0.51, "\(ns)")
        #expect(KVMCalibration.Result(nsPerIteration: ns).verdict.isUsable)
    }

    @Test func growthStopsAtTheMaximumEvenWhenItIsNoPowerOfTen() {
        let (runs, _) = Self.drive(Self.options(max: 25_000, repeats: 1), Self.linear(fixedNs: 0, perIteration: 1))
        #expect(runs == Self.warmUp + Self.io([1000, 10_000, 25_000]))
        let (small, found) = Self.drive(Self.options(max: 300, repeats: 2), Self.linear(fixedNs: 0, perIteration: 1))
        #expect(small == Self.warmUp + Self.io([300, 300]))
        #expect(found.measuredIterations == 300 && found.measurementFinished)
    }

    @Test func theFastestRepeatCounts() {
        // 10,000 iterations take 9, 8 then 10 ms; the previous size, 1,000, took 1 ms.
        var times: [Int: [UInt64]] = [1: [10_000, 10_000, 10_000], 1000: [1_000_000], 10_000: [9_000_000, 8_000_000, 10_000_000]]
        let (runs, found) = Self.drive(Self.options()) { run in
            Self.exited(run, ns: times[run.iterations]!.removeFirst())
        }
        #expect(runs.count == 7)
        #expect(found.nsPerIteration == Double(8_000_000 - 1_000_000) / Double(10_000 - 1000))
    }

    @Test func slopeFallsBackToTimePerIterationWhenTheLastSizeWasNotSlower() {
        // The first loop is the previous point of the slope; a final run no slower than it
        // (repeats: 1, the maximum reached at once) leaves only time / iterations.
        var times: [UInt64] = [10_000, 50_000, 60_000, 40_000]
        let (_, found) = Self.drive(Self.options(max: 1000, repeats: 1)) { run in Self.exited(run, ns: times.removeFirst()) }
        #expect(found.nsPerIteration == 40.0)
        #expect(found.measuredIterations == 1000)
    }

    @Test func aRunStoppedWhileGrowingIsMeasuredByWhatItGotThrough() {
        let (runs, found) = Self.drive(Self.options(minimumRunNs: 10_000_000_000)) { run in
            guard run.iterations >= 100_000 else { return Self.exited(run, ns: UInt64(run.iterations) * 900) }
            return Sample(program: .io, iterations: run.iterations, completed: 70_000, nanoseconds: 63_000_000,
                          exit: nil, errno: EINTR)
        }
        #expect(runs == Self.warmUp + Self.io([1000, 10_000, 100_000]))
        #expect(found.nsPerIteration == 900)
        #expect(found.measuredIterations == 70_000)
        #expect(!found.measurementFinished)
        #expect(found.failure == nil)
        #expect(Self.result(found, host: VerdictTests.pvm, stoppedAfter: 1.75).verdict == .emulated(nsPerInstruction: 450, module: "kvm_pvm"))
    }

    @Test func aRunStoppedBeforeAnyIterationLeavesNoFigure() {
        let (runs, found) = Self.drive(Self.options()) { run in
            run.iterations == 1 ? Self.exited(run, ns: 10_000) : .stoppedBeforeStart(run)
        }
        #expect(runs.count == 4)
        #expect(found.nsPerIteration == nil && found.measuredIterations == 0)
        #expect(Self.result(found, stoppedAfter: 1.75).verdict == .hung(after: 1.75))
    }

    @Test func aWarmUpThatDoesNotReachItsExitEndsThePlan() {
        let (runs, found) = Self.drive(Self.options()) { run in
            Sample(program: run.program, iterations: 1, completed: 0, nanoseconds: 5000, exit: .internalError, detail: 1)
        }
        #expect(runs == [Run(program: .hlt, iterations: 1)])
        #expect(found.failure == KVMCalibration.Failure(step: "guest exit", errno: 0))
        #expect(found.hltExit == nil)
        let r = Self.result(found)
        #expect(r.verdict == .unavailable(reason: "the test guest stopped with KVM_EXIT_INTERNAL_ERROR"))
        #expect(r.details.contains { $0.hasSuffix("KVM_EXIT_INTERNAL_ERROR (1)") })
    }

    @Test func aFailedRepeatStillConcludesAndIsReported() {
        var plan = Plan(options: Self.options(max: 1000))
        for _ in 0..<4 { plan.record(Self.exited(plan.next!, ns: 1_000_000)) }
        #expect(plan.next == Run(program: .io, iterations: 1000))
        plan.record(KVMCalibration.Failure(step: "KVM_SET_REGS", errno: EBUSY))
        #expect(plan.next == nil)
        #expect(plan.measurement.samples.count == 4, "a run that could not start has no sample")
        #expect(plan.measurement.failure == KVMCalibration.Failure(step: "KVM_SET_REGS", errno: EBUSY))
        #expect(plan.measurement.measurementFinished && plan.measurement.nsPerIteration == 1000)
        #expect(Self.result(plan.measurement).verdict == .unavailable(reason: "KVM_SET_REGS failed: Device or resource busy"))
    }

    @Test func kvmRunFailingEndsThePlanWithItsErrno() {
        let (runs, found) = Self.drive(Self.options()) { run in
            Sample(program: run.program, iterations: 1, completed: 0, nanoseconds: 100, exit: nil, errno: EFAULT)
        }
        #expect(runs.count == 1)
        #expect(found.failure == KVMCalibration.Failure(step: "KVM_RUN", errno: EFAULT))
    }

    @Test func spinRunsOnceAndEndsHowever() {
        let (runs, found) = Self.drive(Self.options(spin: true)) { run in
            Sample(program: run.program, iterations: 1, completed: 0, nanoseconds: 370_000_000, exit: .intr)
        }
        #expect(runs == [Run(program: .spin, iterations: 1)])
        #expect(found.failure == nil && found.nsPerIteration == nil && found.hltExit == nil)
    }

    @Test func outcomes() {
        func sample(_ exit: KVMExitReason?, errno: Int32 = 0) -> Sample {
            Sample(program: .io, iterations: 10, completed: 0, nanoseconds: 1, exit: exit, errno: errno)
        }
        #expect(sample(.hlt).outcome == .exited(sample(.hlt)))
        #expect(sample(.io).outcome == .exited(sample(.io)))
        #expect(sample(.intr).outcome == .stopped(sample(.intr)))
        #expect(sample(nil, errno: EINTR).outcome == .stopped(sample(nil, errno: EINTR)))
        #expect(sample(nil, errno: EAGAIN).outcome == .stopped(sample(nil, errno: EAGAIN)))
        #expect(sample(nil, errno: EFAULT).outcome == .failed(.init(step: "KVM_RUN", errno: EFAULT)))
        #expect(sample(.shutdown).outcome == .failed(.init(step: "guest exit", errno: 0)))
        #expect(sample(.failEntry).outcome == .failed(.init(step: "guest exit", errno: 0)))
    }

    @Test func completedIterations() {
        #expect(Sample.completed(iterations: 1000, exit: .io, ecxLeft: 0) == 1000)
        #expect(Sample.completed(iterations: 1000, exit: .hlt, ecxLeft: nil) == 1000)
        #expect(Sample.completed(iterations: 1000, exit: nil, ecxLeft: 300) == 700)
        #expect(Sample.completed(iterations: 1000, exit: .intr, ecxLeft: 1000) == 0)
        #expect(Sample.completed(iterations: 1000, exit: nil, ecxLeft: nil) == 0, "ECX unread: nothing known done")
        #expect(Sample.completed(iterations: 1000, exit: nil, ecxLeft: 5000) == 0, "ECX above the count: not ours")
    }

    @Test func optionsFromTheCallersUnits() {
        let o = KVMCalibration.Options(iterations: Int.max, timeLimit: 0, spin: false, minimumRun: nil)
        #expect(o.maxIterations == Int(UInt32.max) && o.timeLimitNs == 1_000_000 && o.minimumRunNs == 5_000_000)
        #expect(o.repeats == 3 && !o.spin)
        let p = KVMCalibration.Options(iterations: 0, timeLimit: 1.5, spin: true, minimumRun: 10)
        #expect(p.maxIterations == 1 && p.timeLimitNs == 1_500_000_000 && p.minimumRunNs == 10_000_000_000 && p.spin)
    }
}
