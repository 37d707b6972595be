/// isoprobe's exit codes, one meaning each (the README lists them).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Everything ran and every verdict passed.
    case success = 0
    /// Something isoprobe tried did not work (a runtime error, a guest that never answered).
    case failed = 1
    /// Bad input: a flag, a workload spec, a suite or config file.
    case usage = 2
    /// Something needed is missing: root, BTF, cgroup2, compiled probes, a runtime, QEMU, a
    /// kernel feature a selected probe needs.
    case missing = 3
    /// A measured workload failed: it exited non-zero, was killed, or ran past its timeout.
    case workloadFailed = 4
    /// A verdict went against: `compare` found a regression, `verify` a breach or a
    /// contradiction of the profile.
    case verdictFailed = 5
    /// `verify`'s weakened control did not fail its checks: the run proves nothing.
    case invalidControl = 6
    /// Ended by SIGINT, SIGTERM or SIGHUP.
    case interrupted = 130
}
