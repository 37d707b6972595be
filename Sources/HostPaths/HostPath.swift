/// A code path that users' hosts take and this build host cannot (it has hybrid cgroups and
/// a KVM that emulates guest kernel code): each is proven inside a guest that isoprobe boots
/// as a test host, where cgroup2 is the only hierarchy and TCG's emulated AMD-V gives a real
/// /dev/kvm (`isoprobe host-paths`).
public enum HostPath: String, CaseIterable, Codable, Sendable {
    /// A native run on pure cgroup2: the exact getpid count.
    case cgroup2Native = "cgroup2-native"
    /// Containers under runc and under crun (without the hybrid workaround): exact counts.
    case runc
    case crun
    /// `--memory` in each runtime: the workload is OOM-killed and the run says `oom_killed`.
    case runcOOMKill = "runc-oom-kill"
    case crunOOMKill = "crun-oom-kill"
    /// `--pids` in each runtime: forks refused, each refusal an EAGAIN the probes counted.
    case runcPidsLimit = "runc-pids-limit"
    case crunPidsLimit = "crun-pids-limit"
    /// The KVM calibration against the guest's own /dev/kvm (kvm_amd on emulated AMD-V).
    case kvmCalibration = "kvm-calibration"
    /// VM exits by reason from the kvm_exit and kvm_entry tracepoints, a KVM-API guest
    /// doing port I/O.
    case kvmExits = "kvm-exits"
    /// `--accel kvm` refused at once by the calibration, then `--accel kvm --no-calibration`
    /// booting a second-level guest on that KVM.
    case kvmOverride = "kvm-override"

    /// `isoprobe host-paths --ci`: every path but the second-level guest, whose boot alone
    /// takes most of a minute under TCG.
    public static let ciSubset: [HostPath] = allCases.filter { $0 != .kvmOverride }

    /// The OCI runtime a container path runs under.
    public var runtime: String? {
        switch self {
        case .runc, .runcOOMKill, .runcPidsLimit: return "runc"
        case .crun, .crunOOMKill, .crunPidsLimit: return "crun"
        default: return nil
        }
    }

    /// What it proves, in one line.
    public var summary: String {
        switch self {
        case .cgroup2Native: return "native run on pure cgroup2, exact getpid count"
        case .runc: return "runc container on pure cgroup2, exact getpid count"
        case .crun: return "crun container on pure cgroup2 (no hybrid workaround), exact getpid count"
        case .runcOOMKill, .crunOOMKill: return "--memory \(Self.memoryLimit): memhog OOM-killed, reported as oom_killed"
        case .runcPidsLimit, .crunPidsLimit: return "--pids \(Self.pidsLimit): forks refused, each an EAGAIN the probes counted"
        case .kvmCalibration: return "KVM calibration against the guest's /dev/kvm, and the hypervisor leaf"
        case .kvmExits: return "KVM exits by reason from kvm_exit/kvm_entry, a KVM-API guest doing port I/O"
        case .kvmOverride: return "--accel kvm refused by the calibration; --no-calibration boots a second-level guest on KVM, its host view's exits by reason"
        }
    }

    // The workloads and limits, shared by the guest that runs them and the host that judges.
    public static let getpidCalls = 100_000
    /// The second-level guest's run: short, its boot is the cost.
    public static let overrideGetpidCalls = 1_000
    public static let memoryLimit = "64M"
    public static let memhogMiB = 256
    public static let pidsLimit = 32
    public static let forkAttempts = 64
    /// Port writes of the KVM-API guest; each is one IO exit.
    public static let portWrites = 200
    /// A probe may count a few calls of the workload's own start-up beside its loop.
    public static let countSlack = 10
}
