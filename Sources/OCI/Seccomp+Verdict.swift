import Foundation

extension Seccomp {
    /// What the filter does with one syscall, judged from the config alone.
    public enum Verdict: Equatable, Sendable {
        /// The name decides: an unconditional rule names the syscall, or no rule does and the
        /// default action applies. `errno` is set for `SCMP_ACT_ERRNO`.
        case always(Action, errno: UInt?)
        /// Only rules with argument conditions name the syscall: the first whose conditions hold
        /// decides, and `otherwise` applies when none does.
        case dependsOnArguments(rules: [Syscall], otherwise: Action, otherwiseErrno: UInt?)
    }

    /// The errno runc makes an `SCMP_ACT_ERRNO` rule return when the config gives none.
    public static let defaultErrno: UInt = 1 // EPERM

    /// The verdict for `syscall` (a name from the kernel's syscall table, `openat`).
    /// An unconditional rule wins over conditional ones, as in libseccomp, and of two
    /// unconditional rules the first counts (libseccomp refuses conflicting ones anyway).
    public func verdict(for syscall: String) -> Verdict {
        let naming = (syscalls ?? []).filter { $0.names.contains(syscall) }
        if let rule = naming.first(where: \.isUnconditional) {
            return .always(rule.action, errno: Self.errno(for: rule.action, rule.errnoRet))
        }
        let defaultErrno = Self.errno(for: defaultAction, defaultErrnoRet)
        if naming.isEmpty {
            return .always(defaultAction, errno: defaultErrno)
        }
        return .dependsOnArguments(rules: naming, otherwise: defaultAction, otherwiseErrno: defaultErrno)
    }

    /// The action for one call with these argument values (missing ones count as 0), and the
    /// errno for `SCMP_ACT_ERRNO`.
    public func verdict(for syscall: String, arguments: [UInt64]) -> (action: Action, errno: UInt?) {
        switch verdict(for: syscall) {
        case let .always(action, errno):
            return (action, errno)
        case let .dependsOnArguments(rules, otherwise, otherwiseErrno):
            for rule in rules {
                let holds = (rule.args ?? []).allSatisfy { arg in
                    arg.matches(arg.index < UInt(arguments.count) ? arguments[Int(arg.index)] : 0)
                }
                if holds { return (rule.action, Self.errno(for: rule.action, rule.errnoRet)) }
            }
            return (otherwise, otherwiseErrno)
        }
    }

    /// True when `syscall` runs whatever its arguments; false when it is refused, or allowed
    /// only for some arguments (`clone`, `personality` in the default profile).
    public func allowsUnconditionally(_ syscall: String) -> Bool {
        if case let .always(action, _) = verdict(for: syscall) { return action.runsSyscall }
        return false
    }

    private static func errno(for action: Action, _ errnoRet: UInt?) -> UInt? {
        action == .errno ? (errnoRet ?? defaultErrno) : nil
    }
}
