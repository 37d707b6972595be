import Foundation

extension KVMCalibration {
    /// Runs the calibration on its vCPU thread and makes sure the call never takes much
    /// longer than the time limit, whatever the guest or the kernel does.
    enum Watchdog {
        /// Before the limit, the vCPU is stopped this long early (a quarter of the limit when
        /// that is less) so that it can come back in time.
        static let graceNs: UInt64 = 250_000_000
        /// Kicks are repeated: before the vCPU is mapped there is no immediate_exit to set, and
        /// a signal that arrives outside a blocking call changes nothing.
        static let kickIntervalNs: UInt64 = 20_000_000

        static func calibrate(_ options: Options) -> Result {
            let start = now()
            let host = HostSignals.read()
            func result(_ setup: Setup, _ measurement: Measurement, fired: Bool, returned: Bool) -> Result {
                Result(host: host, setup: setup, measurement: measurement, watchdogFired: fired, threadReturned: returned,
                       totalSeconds: Double(now() - start) / 1e9, timeLimit: Double(options.timeLimitNs) / 1e9)
            }
            guard let signal = KVMVCPU.kickSignal else {
                // Without a way to interrupt KVM_RUN a stuck guest would hang the caller.
                let failure = Failure(step: "choosing a real-time signal for the watchdog (none free)", errno: 0)
                return result(Setup(failure: failure), Measurement(), fired: false, returned: true)
            }
            let thread = VCPUThread(options: options, signal: signal)
            if let failure = thread.start() {
                return result(Setup(failure: failure), Measurement(), fired: false, returned: true)
            }
            let fired = !watch(thread, start: start, limitNs: options.timeLimitNs)
            let state = thread.state.withLock { $0 }
            return result(state.setup, state.measurement, fired: fired, returned: state.finished)
        }

        /// Waits for the thread; at the limit less the grace it stops it, then kicks it until it
        /// is back or the limit has passed. True when it finished without being stopped.
        static func watch(_ thread: VCPUThread, start: UInt64, limitNs: UInt64) -> Bool {
            let limit = start + limitNs
            let stopAt = limit - min(limitNs / 4, graceNs)
            if thread.waitFinished(ns: stopAt - min(now(), stopAt)) { return true }
            while true {
                thread.kick()
                let t = now()
                if t >= limit { break }
                if thread.waitFinished(ns: min(t + kickIntervalNs, limit) - t) || now() >= limit { break }
            }
            return false
        }

        /// CLOCK_MONOTONIC in ns, the clock KVM_RUN is timed with.
        static func now() -> UInt64 {
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
        }
    }
}
