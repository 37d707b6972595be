extension KVMCalibration {
    /// A KVM_RUN the plan asks for: a program and its ECX.
    struct Run: Sendable, Equatable {
        var program: Sample.Program
        var iterations: Int
    }

    /// What the runs found: the part of a `Result` the plan fills in.
    struct Measurement: Sendable, Equatable {
        var samples: [Sample] = []
        var failure: Failure?
        var hltExit: KVMExitReason?
        var ioExit: KVMExitReason?
        var ioPort: UInt16?
        var nsPerIteration: Double?
        var measuredIterations = 0
        var measurementFinished = false
        /// The port writes asked for after the measurement that ended in KVM_EXIT_IO.
        var portWrites = 0
    }

    /// The calibration's rules as a value: which KVM_RUN comes next, and what the samples so
    /// far amount to. It runs nothing itself, so the tests can feed it samples of their own.
    ///
    /// First `hlt` once and `out` twice with one iteration: the two exits work, and the vCPU
    /// is warm. Then `out` with 1,000 iterations, growing tenfold until a run takes at least
    /// `minimumRunNs` or reaches `maxIterations`; that size is run `repeats` times and the
    /// fastest counts. Any run that fails or is stopped ends the plan.
    struct Plan: Sendable, Equatable {
        static let firstSize = 1000

        let options: Options
        private(set) var measurement = Measurement()
        private var stage: Stage

        /// One size of the loop and its (fastest) time.
        struct Point: Sendable, Equatable {
            var iterations: Int
            var ns: UInt64
        }

        private enum Stage: Sendable, Equatable {
            case spin, hlt, firstIO
            case secondIO(firstNs: UInt64)
            case growing(size: Int, previous: Point)
            case repeating(size: Int, previous: Point, fastest: UInt64, left: Int)
            case done
        }

        init(options: Options) {
            self.options = options
            stage = options.spin ? .spin : .hlt
        }

        /// The next run, nil once the plan is over.
        var next: Run? {
            switch stage {
            case .spin: return Run(program: .spin, iterations: 1)
            case .hlt: return Run(program: .hlt, iterations: 1)
            case .firstIO, .secondIO: return Run(program: .io, iterations: 1)
            case .growing(let size, _), .repeating(let size, _, _, _): return Run(program: .io, iterations: size)
            case .done: return nil
            }
        }

        mutating func record(_ sample: Sample) {
            measurement.samples.append(sample)
            advance(sample.outcome)
        }

        /// A run that could not be started.
        mutating func record(_ failure: Failure) {
            advance(.failed(failure))
        }

        private mutating func advance(_ outcome: Sample.Outcome) {
            if case .failed(let failure) = outcome, measurement.failure == nil {
                measurement.failure = failure
            }
            switch (stage, outcome) {
            case (.hlt, .exited(let s)):
                measurement.hltExit = s.exit
                stage = .firstIO
            case (.firstIO, .exited(let s)):
                measurement.ioExit = s.exit
                measurement.ioPort = s.ioPort ?? 0
                stage = .secondIO(firstNs: s.nanoseconds)
            case (.secondIO(let firstNs), .exited(let s)):
                // The faster one-iteration run is the slope's first point: nearly all of it is what a
                // KVM_RUN costs by itself.
                stage = .growing(size: min(options.maxIterations, Self.firstSize),
                                 previous: Point(iterations: 1, ns: min(firstNs, s.nanoseconds)))
            case (.growing(let size, let previous), .exited(let s)):
                if s.nanoseconds >= options.minimumRunNs || size >= options.maxIterations {
                    repeatOrConclude(size: size, previous: previous, fastest: s.nanoseconds, left: options.repeats - 1)
                } else {
                    let max = options.maxIterations
                    stage = .growing(size: size > max / 10 ? max : size * 10,
                                     previous: Point(iterations: size, ns: s.nanoseconds))
                }
            case (.growing, .stopped(let s)):
                // Stopped at the cap: what it got through is still a measurement.
                if s.completed > 0 {
                    measurement.nsPerIteration = positive(Double(s.nanoseconds) / Double(s.completed))
                    measurement.measuredIterations = s.completed
                }
                stage = .done
            case (.repeating(let size, let previous, let fastest, let left), .exited(let s)):
                repeatOrConclude(size: size, previous: previous, fastest: min(fastest, s.nanoseconds), left: left - 1)
            case (.repeating(let size, let previous, let fastest, _), _):
                conclude(size: size, previous: previous, fastest: fastest)
            default:
                stage = .done
            }
        }

        private mutating func repeatOrConclude(size: Int, previous: Point, fastest: UInt64, left: Int) {
            if left > 0 {
                stage = .repeating(size: size, previous: previous, fastest: fastest, left: left)
            } else {
                conclude(size: size, previous: previous, fastest: fastest)
            }
        }

        /// The slope between the last two sizes rather than time / iterations: the cost of
        /// entering and leaving the guest, the same at both sizes, drops out.
        private mutating func conclude(size: Int, previous: Point, fastest: UInt64) {
            let slope = size > previous.iterations && fastest > previous.ns
                ? Double(fastest - previous.ns) / Double(size - previous.iterations)
                : Double(fastest) / Double(size)
            measurement.nsPerIteration = positive(slope)
            measurement.measuredIterations = size
            measurement.measurementFinished = true
            stage = .done
        }

        private func positive(_ ns: Double) -> Double? {
            ns > 0 ? ns : nil
        }
    }
}
