import Foundation
import Synchronization

extension KVMCalibration {
    /// The thread that sets up the vCPU and runs the plan on it, and what it shares with the
    /// watchdog. The thread holds this object as well: if it is stuck in the kernel past the
    /// cap, the calibration returns without it, and it cleans up whenever it gets out.
    final class VCPUThread: Sendable {
        struct State {
            var setup = Setup()
            var measurement = Measurement()
            /// The thread, from its start until it is done.
            var thread: pthread_t?
            /// Between set-up and close: a kick may set the vCPU's immediate_exit.
            var mapped = false
            var stopRequested = false
            var finished = false
        }

        let state = Mutex(State())
        private let finishedSignal = DispatchSemaphore(value: 0)
        private let vcpu = KVMVCPU()
        private let options: Options
        private let signal: Int32

        init(options: Options, signal: Int32) {
            self.options = options
            self.signal = signal
        }

        /// Starts the thread, detached: nobody waits for it past the cap. nil, or why it did not start.
        func start() -> Failure? {
            let retained = Unmanaged.passRetained(self)
            var thread = pthread_t()
            let err = pthread_create(&thread, nil, { arg in
                Unmanaged<VCPUThread>.fromOpaque(arg!).takeRetainedValue().body()
                return nil
            }, retained.toOpaque())
            guard err == 0 else {
                retained.release()
                return Failure(step: "pthread_create", errno: err)
            }
            pthread_detach(thread)
            return nil
        }

        private func body() {
            KVMVCPU.acceptOnlyKicks(signal)
            state.withLock { $0.thread = pthread_self() }
            if vcpu.setUp(report: { setup in state.withLock { $0.setup = setup } }) {
                state.withLock { $0.mapped = true }
                measure()
            }
            state.withLock { $0.mapped = false }
            vcpu.close()
            state.withLock {
                $0.finished = true
                $0.thread = nil
            }
            finishedSignal.signal()
        }

        private func measure() {
            var plan = Plan(options: options)
            while let run = plan.next {
                if state.withLock({ $0.stopRequested }) {
                    plan.record(Sample.stoppedBeforeStart(run))
                } else {
                    switch vcpu.run(run) {
                    case .success(let sample): plan.record(sample)
                    case .failure(let failure): plan.record(failure)
                    }
                }
                let measurement = plan.measurement
                state.withLock { $0.measurement = measurement }
            }
            var measurement = plan.measurement
            for _ in 0..<options.portWrites {
                guard !state.withLock({ $0.stopRequested }),
                      case .success(let sample) = vcpu.run(Run(program: .io, iterations: 1)), sample.exit == .io
                else { break }
                measurement.portWrites += 1
                let counted = measurement
                state.withLock { $0.measurement = counted }
            }
        }

        /// Asks the thread to stop, and gets it out of KVM_RUN (or whatever call it is in).
        func kick() {
            state.withLock { s in
                s.stopRequested = true
                guard let thread = s.thread else { return }
                vcpu.kick(thread: thread, signal: signal, mapped: s.mapped)
            }
        }

        /// Waits at most `ns` for the thread to be done; true when it is.
        func waitFinished(ns: UInt64) -> Bool {
            if ns > 0 {
                _ = finishedSignal.wait(timeout: .now() + .nanoseconds(Int(clamping: ns)))
            }
            return state.withLock { $0.finished }
        }
    }
}
