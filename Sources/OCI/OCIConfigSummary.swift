import Foundation

/// What a config lets the container do, worked out from the config alone: the claims
/// `isoprobe verify` checks against what a workload observes inside the container.
public struct OCIConfigSummary: Equatable, Sendable {
    /// How the container relates to one namespace kind.
    public enum NamespaceState: Equatable, Sendable {
        /// Listed without a path: the runtime creates a new one.
        case `private`
        /// Not listed: the container stays in the runtime's, normally the host's.
        case shared
        /// Listed with a path: the container enters that existing namespace.
        case joined(path: String)
    }

    /// Who uid 0 in the container is on the host.
    public enum RootMapping: Equatable, Sendable {
        /// No private user namespace: container root is host root.
        case hostRoot
        /// A private user namespace maps container uid 0 (and gid 0, when mapped) to these.
        case mapped(hostUID: UInt32, hostGID: UInt32?)
        /// A private user namespace with no mapping for uid 0.
        case unmapped
        /// Joined an existing user namespace, whose mappings the config does not show.
        case unknown
    }

    public struct Capabilities: Equatable, Sendable {
        /// The sets as configured, names normalized to `CAP_X`.
        public var bounding: Set<String>
        public var effective: Set<String>
        public var permitted: Set<String>
        public var inheritable: Set<String>
        public var ambient: Set<String>
        /// The workload's effective set once runc has executed it (what /proc/PID/status
        /// CapEff shows), by the kernel's execve rules: for uid 0, (bounding ∪ inheritable),
        /// cut to the old permitted set under no_new_privs; for other uids, the ambient set
        /// (which holds only capabilities also permitted and inheritable). File capabilities
        /// on the executable are not considered.
        public var effectiveAfterExec: Set<String>
        /// The most the workload can reach: `effectiveAfterExec`, and without no_new_privs also
        /// the bounding set, through setuid-root or file-capability executables.
        public var obtainable: Set<String>

        /// Capabilities in `obtainable` that reach outside the container (see `OCIConfigSummary.dangerousCapabilities`).
        public var dangerous: Set<String> { obtainable.intersection(OCIConfigSummary.dangerousCapabilities) }
    }

    public struct SeccompFilter: Equatable, Sendable {
        public var defaultAction: Seccomp.Action
        /// The errno the default action returns, for `SCMP_ACT_ERRNO` (EPERM when unset).
        public var defaultErrno: UInt?
        public var architectures: [String]
        /// Entries in `syscalls`, and how many of them have argument conditions.
        public var ruleCount: Int
        public var conditionalRuleCount: Int
        /// Distinct syscall names the rules mention.
        public var syscallNameCount: Int
    }

    public struct Limits: Equatable, Sendable {
        public var cpuQuota: Int64?
        public var cpuPeriod: UInt64?
        /// CPUs' worth of time, quota / period, when both are set and the quota is positive.
        public var cpus: Double?
        /// The cpuset the container may run on (`0-3`).
        public var cpuset: String?
        public var memoryLimit: Int64?
        /// memory + swap, as the spec defines it; -1 is unlimited.
        public var memorySwap: Int64?
        /// Swap the workload may use: `memorySwap - memoryLimit`; nil when unlimited.
        public var swapBytes: Int64?
        public var pidsLimit: Int64?

        public init(cpuQuota: Int64? = nil, cpuPeriod: UInt64? = nil, cpus: Double? = nil, cpuset: String? = nil,
                    memoryLimit: Int64? = nil, memorySwap: Int64? = nil, swapBytes: Int64? = nil,
                    pidsLimit: Int64? = nil) {
            self.cpuQuota = cpuQuota
            self.cpuPeriod = cpuPeriod
            self.cpus = cpus
            self.cpuset = cpuset
            self.memoryLimit = memoryLimit
            self.memorySwap = memorySwap
            self.swapBytes = swapBytes
            self.pidsLimit = pidsLimit
        }
    }

    /// Capabilities that act on the host or on other containers rather than on the
    /// container's own processes and files.
    public static let dangerousCapabilities: Set<String> = [
        "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_BOOT", "CAP_SYS_TIME",
        "CAP_NET_ADMIN", "CAP_DAC_READ_SEARCH", "CAP_BPF", "CAP_PERFMON", "CAP_MAC_ADMIN",
        "CAP_MAC_OVERRIDE", "CAP_SYSLOG", "CAP_CHECKPOINT_RESTORE", "CAP_AUDIT_CONTROL",
    ]

    /// Every namespace kind, each private, shared or joined.
    public var namespaces: [Linux.NamespaceType: NamespaceState]
    public var rootMapping: RootMapping
    /// The workload's uid and gid inside the container, and its uid on the host (nil when the
    /// config cannot tell: a joined user namespace, or no mapping for it).
    public var processUID: UInt32
    public var processGID: UInt32
    public var processHostUID: UInt32?
    public var capabilities: Capabilities
    /// nil when the config installs no filter.
    public var seccomp: SeccompFilter?
    public var noNewPrivileges: Bool
    public var readonlyRoot: Bool
    public var limits: Limits
    public var maskedPathCount: Int
    public var readonlyPathCount: Int

    private var filter: Seccomp?

    public init(_ spec: Spec) {
        let linux = spec.linux ?? Linux()
        let process = spec.process ?? Process()

        var namespaces: [Linux.NamespaceType: NamespaceState] = [:]
        for type in Linux.NamespaceType.allCases {
            if let entry = linux.namespace(type) {
                namespaces[type] = entry.path.map { .joined(path: $0) } ?? .private
            } else {
                namespaces[type] = .shared
            }
        }
        self.namespaces = namespaces

        let uid = process.user.uid
        processUID = uid
        processGID = process.user.gid
        switch namespaces[.user] ?? .shared {
        case .shared:
            rootMapping = .hostRoot
            processHostUID = uid
        case .joined:
            rootMapping = .unknown
            processHostUID = nil
        case .private:
            let uidMap = linux.uidMappings ?? []
            let gidMap = linux.gidMappings ?? []
            if let hostUID = uidMap.lazy.compactMap({ $0.hostID(of: 0) }).first {
                rootMapping = .mapped(hostUID: hostUID, hostGID: gidMap.lazy.compactMap { $0.hostID(of: 0) }.first)
            } else {
                rootMapping = .unmapped
            }
            processHostUID = uidMap.lazy.compactMap { $0.hostID(of: uid) }.first
        }

        let nnp = process.noNewPrivileges ?? false
        noNewPrivileges = nnp
        capabilities = Self.capabilities(process.capabilities, uid: uid, noNewPrivileges: nnp)

        filter = linux.seccomp
        seccomp = linux.seccomp.map { filter in
            let rules = filter.syscalls ?? []
            return SeccompFilter(
                defaultAction: filter.defaultAction,
                defaultErrno: filter.defaultAction == .errno ? (filter.defaultErrnoRet ?? Seccomp.defaultErrno) : nil,
                architectures: filter.architectures ?? [],
                ruleCount: rules.count,
                conditionalRuleCount: rules.filter { !$0.isUnconditional }.count,
                syscallNameCount: Set(rules.flatMap(\.names)).count)
        }

        readonlyRoot = spec.root?.readonly ?? false
        limits = Self.limits(linux.resources)
        maskedPathCount = linux.maskedPaths?.count ?? 0
        readonlyPathCount = linux.readonlyPaths?.count ?? 0
    }

    public var privateNamespaces: [Linux.NamespaceType] { kinds { $0 == .private } }
    public var sharedNamespaces: [Linux.NamespaceType] { kinds { $0 == .shared } }
    public var joinedNamespaces: [Linux.NamespaceType] {
        kinds { if case .joined = $0 { return true } else { return false } }
    }

    /// True when container root is an unprivileged uid on the host, false when it is host
    /// root, nil when the config cannot tell (a joined user namespace).
    public var rootIsUnprivilegedOnHost: Bool? {
        switch rootMapping {
        case .hostRoot: return false
        case let .mapped(hostUID, _): return hostUID != 0
        case .unmapped: return true
        case .unknown: return nil
        }
    }

    /// Whether `syscall` runs whatever its arguments, judged from rules without argument
    /// conditions and the default action: false also for calls allowed only for some
    /// arguments (see `seccompVerdict(for:)`). nil when there is no filter.
    public func seccompAllows(_ syscall: String) -> Bool? {
        filter?.allowsUnconditionally(syscall)
    }

    /// The filter's full verdict for `syscall`; nil when there is no filter.
    public func seccompVerdict(for syscall: String) -> Seccomp.Verdict? {
        filter?.verdict(for: syscall)
    }

    private func kinds(_ where: (NamespaceState) -> Bool) -> [Linux.NamespaceType] {
        Linux.NamespaceType.allCases.filter { namespaces[$0].map(`where`) ?? false }
    }

    /// `CAP_X` whatever the config's spelling: runc accepts only this form, and comparing
    /// against observed capabilities needs one.
    static func normalize(_ names: [String]?) -> Set<String> {
        Set((names ?? []).map { name in
            let upper = name.uppercased()
            return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        })
    }

    private static func capabilities(_ caps: Process.Capabilities?, uid: UInt32,
                                     noNewPrivileges: Bool) -> Capabilities {
        let bounding = normalize(caps?.bounding)
        let effective = normalize(caps?.effective)
        let permitted = normalize(caps?.permitted)
        let inheritable = normalize(caps?.inheritable)
        let ambient = normalize(caps?.ambient)
        // The kernel refuses to raise an ambient capability that is not both permitted and
        // inheritable; runc only warns, so such entries have no effect.
        let realAmbient = ambient.intersection(permitted).intersection(inheritable)
        var afterExec: Set<String>
        if uid == 0 {
            afterExec = bounding.union(inheritable)
            if noNewPrivileges { afterExec.formIntersection(permitted) }
            afterExec.formUnion(realAmbient)
        } else {
            afterExec = realAmbient
        }
        let obtainable = noNewPrivileges ? afterExec : afterExec.union(bounding).union(inheritable)
        return Capabilities(bounding: bounding, effective: effective, permitted: permitted,
                            inheritable: inheritable, ambient: ambient,
                            effectiveAfterExec: afterExec, obtainable: obtainable)
    }

    private static func limits(_ resources: Linux.Resources?) -> Limits {
        let cpu = resources?.cpu
        let memory = resources?.memory
        var cpus: Double?
        if let quota = cpu?.quota, let period = cpu?.period, quota > 0, period > 0 {
            cpus = Double(quota) / Double(period)
        }
        var swapBytes: Int64?
        if let limit = memory?.limit, let swap = memory?.swap, limit > 0, swap >= limit {
            swapBytes = swap - limit
        }
        return Limits(cpuQuota: cpu?.quota, cpuPeriod: cpu?.period, cpus: cpus, cpuset: cpu?.cpus,
                      memoryLimit: memory?.limit, memorySwap: memory?.swap, swapBytes: swapBytes,
                      pidsLimit: resources?.pids?.limit)
    }
}
