import Foundation

extension KVMCalibration {
    /// How a calibration measures and how long it may take.
    struct Options: Sendable, Equatable {
        /// Loop count of the longest run: runs grow tenfold from `Plan.firstSize` until one
        /// takes at least `minimumRunNs` or reaches this count. At most 2³²-1 (ECX).
        var maxIterations: Int
        /// Cap on the whole calibration, VM creation included.
        var timeLimitNs: UInt64
        /// A run this long ends the growth and is measured.
        var minimumRunNs: UInt64
        /// Times the final size is run; the fastest counts.
        var repeats: Int
        /// Runs `l: jmp l` once instead of the loops: the path of a guest that never exits.
        var spin: Bool
        /// After the measurement, this many more runs of the `out` program with one iteration:
        /// a guest doing port I/O, one KVM_EXIT_IO each (for the kvm exit probes to count).
        var portWrites = 0

        init(maxIterations: Int, timeLimitNs: UInt64, minimumRunNs: UInt64 = 5_000_000, repeats: Int = 3,
             spin: Bool = false) {
            self.maxIterations = maxIterations
            self.timeLimitNs = timeLimitNs
            self.minimumRunNs = minimumRunNs
            self.repeats = repeats
            self.spin = spin
        }

        /// From the caller's units, clamped to what the guest and the clock can take.
        init(iterations: Int, timeLimit: TimeInterval, spin: Bool, minimumRun: TimeInterval?) {
            self.init(maxIterations: max(1, min(iterations, Int(UInt32.max))),
                      timeLimitNs: UInt64(max(0.001, timeLimit) * 1e9), spin: spin)
            if let minimumRun { minimumRunNs = UInt64(max(1e-6, minimumRun) * 1e9) }
        }
    }
}
