import BPF
import CShim
import Foundation
import IsoprobeCore

/// Capability checks on the target cgroup from the cap_capable tracepoint: which
/// capabilities the kernel checked for the workload and which it refused. Optional: where
/// the kernel lacks the tracepoint (older kernels), `unavailable` says why; an object that
/// cannot be opened or loaded is an error naming it.
public final class CapabilityProbe: RunObserver {
    public struct Count: Sendable, Equatable {
        public var capability: String
        public var number: Int
        public var checks: UInt64
        public var refused: UInt64
    }

    let directory: String
    private let probe = TargetedObject()
    public private(set) var unavailable: String?

    public init(directory: String) {
        self.directory = directory
    }

    deinit { close() }

    public func targetReady(_ target: CgroupTarget) throws {
        try attach(target: target)
    }

    /// target nil: every task (for checks of the attach path).
    public func attach(target: CgroupTarget?) throws {
        let why = try probe.open("capable.bpf.o", in: directory, target: target, name: "capability",
                                 tracepoints: ["cap_capable"])
        unavailable = why.map { "capability probe: \($0)" }
    }

    public func workloadFinished() { probe.detach() }

    /// Every capability checked at least once, most refused first; nil when not attached.
    public func collect() throws -> [Count]? {
        guard let object = probe.object else { return nil }
        let map = try object.map(named: "caps")
        var out: [Count] = []
        for n in 0..<Int(ISOPROBE_CAP_SLOTS) {
            guard let s = try map.lookup(UInt32(n), as: isoprobe_cap_stat.self)?.first, s.checks > 0 else { continue }
            out.append(Count(capability: Self.name(n), number: n, checks: s.checks, refused: s.refused))
        }
        return out.sorted { ($0.refused, $0.checks, $1.number) > ($1.refused, $1.checks, $0.number) }
    }

    public func close() { probe.close() }

    /// Names from include/uapi/linux/capability.h, by number.
    public static let names = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    public static func name(_ number: Int) -> String {
        number >= 0 && number < names.count ? names[number] : "CAP_\(number)"
    }
}
