import Foundation

extension KVMCalibration {
    /// One KVM_RUN of the test guest.
    public struct Sample: Sendable, Equatable, Codable {
        public enum Program: String, Sendable, Codable { case hlt, io, spin }
        public var program: Program
        public var iterations: Int
        /// Iterations done when KVM_RUN returned (fewer when the watchdog stopped it).
        public var completed: Int
        public var nanoseconds: UInt64
        /// nil when KVM_RUN itself failed (errno then says why; EINTR: the watchdog).
        public var exit: KVMExitReason?
        public var errno: Int32
        public var ioPort: UInt16?
        /// KVM_EXIT_INTERNAL_ERROR's suberror, KVM_EXIT_FAIL_ENTRY's hardware reason.
        public var detail: UInt32?

        public init(program: Program, iterations: Int, completed: Int, nanoseconds: UInt64,
                    exit: KVMExitReason?, errno: Int32 = 0, ioPort: UInt16? = nil, detail: UInt32? = nil) {
            self.program = program
            self.iterations = iterations
            self.completed = completed
            self.nanoseconds = nanoseconds
            self.exit = exit
            self.errno = errno
            self.ioPort = ioPort
            self.detail = detail
        }

        /// A run the watchdog stopped before KVM_RUN was entered.
        static func stoppedBeforeStart(_ run: Run) -> Sample {
            Sample(program: run.program, iterations: run.iterations, completed: 0, nanoseconds: 0, exit: nil, errno: EINTR)
        }

        /// Iterations done: all of them once the program reached its exit, else what ECX says
        /// was consumed (none when ECX could not be read).
        static func completed(iterations: Int, exit: KVMExitReason?, ecxLeft: UInt32?) -> Int {
            if exit == .hlt || exit == .io { return iterations }
            let left = ecxLeft.map(Int.init) ?? iterations
            return left <= iterations ? iterations - left : 0
        }

        /// How a run ended, for the plan.
        enum Outcome: Sendable, Equatable {
            /// The program reached its `hlt` or `out`.
            case exited(Sample)
            /// The watchdog got the vCPU out of KVM_RUN first.
            case stopped(Sample)
            case failed(Failure)
        }

        var outcome: Outcome {
            guard let exit else {
                return errno == EINTR || errno == EAGAIN ? .stopped(self) : .failed(Failure(step: "KVM_RUN", errno: errno))
            }
            if exit == .hlt || exit == .io { return .exited(self) }
            if exit == .intr { return .stopped(self) }
            return .failed(Failure(step: Failure.guestExit, errno: 0))
        }
    }

    /// The step that failed ("KVM_CREATE_VM", "guest exit", ...), named as the KVM API names it.
    public struct Failure: Error, Sendable, Equatable, Codable {
        /// The test guest stopped with an exit other than its own (`hlt`, `out`): the sample says which.
        static let guestExit = "guest exit"

        public var step: String
        public var errno: Int32
        public init(step: String, errno: Int32) {
            self.step = step
            self.errno = errno
        }
    }
}
