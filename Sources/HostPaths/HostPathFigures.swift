/// What one path measured, as the guest reports it: every field optional, each path fills
/// in its own. The host decodes it with bounds (the guest is untrusted) and judges it.
public struct HostPathFigures: Codable, Sendable, Equatable {
    // Runs (`isoprobe run` inside the guest host).
    /// The cgroup layout the run saw: "unified" on pure cgroup2.
    public var cgroupLayout: String?
    public var runtime: String?
    public var runtimeVersion: String?
    /// Whether isoprobe ran crun with cgroup2's controller list hidden (hybrid hosts only).
    public var hybridWorkaround: Bool?
    /// getpid calls the probes counted, and the workload's own count.
    public var getpidCalls: UInt64?
    public var ops: UInt64?
    public var exitKind: String?
    public var oomKills: UInt64?
    public var peakRssBytes: UInt64?
    public var forked: Int?
    public var refused: Int?
    public var cloneEagain: UInt64?
    public var pidsLimitHits: UInt64?
    /// isoprobe's own cgroups, runtime state, bundles and scratch left in the guest host after the run.
    public var leftovers: [String]?

    // KVM.
    /// The calibration's verdict in one word: usable, emulated, emulated-host, unavailable, hung.
    public var verdict: String?
    public var verdictLine: String?
    public var nsPerInstruction: Double?
    public var vendorModule: String?
    public var hypervisorSignature: String?
    public var emulator: String?
    public var portWrites: Int?
    public var kvmExits: UInt64?
    public var kvmEntries: UInt64?
    public var kvmPortIo: UInt64?
    public var reasons: [ExitReason]?
    /// `--accel kvm` without the override: its exit code and how long it took to refuse.
    public var refusalStatus: Int32?
    public var refusalSeconds: Double?
    public var refusalLine: String?
    public var accelerator: String?
    public var guestKernel: String?
    public var bootSeconds: Double?

    public struct ExitReason: Codable, Sendable, Equatable {
        public var isa: String
        public var name: String
        public var count: UInt64
        /// From each exit to the next entry, summed.
        public var exitToEntryNs: UInt64

        public init(isa: String, name: String, count: UInt64, exitToEntryNs: UInt64) {
            self.isa = isa
            self.name = name
            self.count = count
            self.exitToEntryNs = exitToEntryNs
        }
    }

    public init() {}
}

/// One path's report from the guest host.
public struct HostPathReport: Codable, Sendable, Equatable {
    public var path: HostPath
    public var seconds: Double
    public var figures: HostPathFigures
    /// Why the path produced no figures (a run that could not start, a missing tool).
    public var error: String?

    public init(path: HostPath, seconds: Double, figures: HostPathFigures, error: String? = nil) {
        self.path = path
        self.seconds = seconds
        self.figures = figures
        self.error = error
    }
}

/// What the guest host is, reported before the paths.
public struct GuestHostFacts: Codable, Sendable, Equatable {
    public var kernelRelease: String
    public var cgroupLayout: String
    public var cgroupControllers: String
    /// `svm` and `npt` when TCG's emulated AMD-V is offered.
    public var cpuFlags: [String]
    /// The kvm modules loaded at boot, and whether /dev/kvm is there.
    public var kvmModules: [String]
    public var kvmDevice: Bool
    public var hypervisorSignature: String?
    /// The guest host's clocksource: what the probes' times (exit to entry) are read from.
    public var clocksource: String?

    public init(kernelRelease: String, cgroupLayout: String, cgroupControllers: String, cpuFlags: [String],
                kvmModules: [String], kvmDevice: Bool, hypervisorSignature: String?, clocksource: String?) {
        self.kernelRelease = kernelRelease
        self.cgroupLayout = cgroupLayout
        self.cgroupControllers = cgroupControllers
        self.cpuFlags = cpuFlags
        self.kvmModules = kvmModules
        self.kvmDevice = kvmDevice
        self.hypervisorSignature = hypervisorSignature
        self.clocksource = clocksource
    }
}

/// One line the guest host writes on its report channel: its facts first, then one per path.
public struct GuestHostLine: Codable, Sendable, Equatable {
    public var facts: GuestHostFacts?
    public var report: HostPathReport?

    public init(facts: GuestHostFacts? = nil, report: HostPathReport? = nil) {
        self.facts = facts
        self.report = report
    }
}
