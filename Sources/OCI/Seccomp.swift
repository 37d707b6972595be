import Foundation

/// `linux.seccomp`: the syscall filter runc installs (through libseccomp) just before it
/// executes the container's process.
public struct Seccomp: Codable, Equatable, Sendable {
    /// What happens to a matching syscall. The spec's closed set; anything else is refused
    /// when decoding, as runc refuses it.
    public enum Action: String, Codable, CaseIterable, Sendable {
        case allow = "SCMP_ACT_ALLOW"
        case errno = "SCMP_ACT_ERRNO"
        case kill = "SCMP_ACT_KILL"
        case killThread = "SCMP_ACT_KILL_THREAD"
        case killProcess = "SCMP_ACT_KILL_PROCESS"
        case trap = "SCMP_ACT_TRAP"
        case trace = "SCMP_ACT_TRACE"
        case log = "SCMP_ACT_LOG"
        case notify = "SCMP_ACT_NOTIFY"

        /// Whether the syscall itself runs. `log` runs it; `trace` without a tracer fails it
        /// with ENOSYS; `notify` hands the decision to a listener, which cannot be known from
        /// the config, so it counts as not running.
        public var runsSyscall: Bool {
            self == .allow || self == .log
        }
    }

    /// How an argument is compared. For `maskedEqual`, `value` is the mask and `valueTwo`
    /// the expected result, the order libseccomp's SCMP_CMP takes them and runc passes them.
    public enum Operator: String, Codable, CaseIterable, Sendable {
        case notEqual = "SCMP_CMP_NE"
        case lessThan = "SCMP_CMP_LT"
        case lessOrEqual = "SCMP_CMP_LE"
        case equal = "SCMP_CMP_EQ"
        case greaterOrEqual = "SCMP_CMP_GE"
        case greaterThan = "SCMP_CMP_GT"
        case maskedEqual = "SCMP_CMP_MASKED_EQ"
    }

    public struct Arg: Codable, Equatable, Sendable {
        public var index: UInt
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: Operator

        public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: Operator) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }

        /// Whether a call whose argument `index` is `argument` satisfies this condition.
        public func matches(_ argument: UInt64) -> Bool {
            switch op {
            case .notEqual: return argument != value
            case .lessThan: return argument < value
            case .lessOrEqual: return argument <= value
            case .equal: return argument == value
            case .greaterOrEqual: return argument >= value
            case .greaterThan: return argument > value
            case .maskedEqual: return argument & value == (valueTwo ?? 0)
            }
        }
    }

    /// One rule: `action` for the syscalls in `names` when all `args` conditions hold.
    public struct Syscall: Codable, Equatable, Sendable {
        public var names: [String]
        public var action: Action
        /// The errno for `SCMP_ACT_ERRNO`; runc uses EPERM when it is absent.
        public var errnoRet: UInt?
        public var args: [Arg]?

        public init(names: [String], action: Action, errnoRet: UInt? = nil, args: [Arg]? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
        }

        /// True when the rule applies whatever the arguments are.
        public var isUnconditional: Bool { args?.isEmpty ?? true }
    }

    public var defaultAction: Action
    /// The errno when `defaultAction` is `SCMP_ACT_ERRNO`; runc uses EPERM when it is absent.
    public var defaultErrnoRet: UInt?
    /// `SCMP_ARCH_X86_64`, ... Calls from other architectures get the default action.
    public var architectures: [String]?
    /// `SECCOMP_FILTER_FLAG_LOG`, `SECCOMP_FILTER_FLAG_SPEC_ALLOW`, ...
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [Syscall]?

    public init(defaultAction: Action, defaultErrnoRet: UInt? = nil, architectures: [String]? = nil,
                flags: [String]? = nil, listenerPath: String? = nil, listenerMetadata: String? = nil,
                syscalls: [Syscall]? = nil) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }
}
