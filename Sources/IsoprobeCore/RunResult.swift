import Foundation

/// Everything isoprobe measured in one run of one workload in one environment.
/// Field names become snake_case in JSON (docs/result-schema.md).
public struct RunResult: Codable, Sendable {
    public var environment: String
    public var workload: WorkloadDescription
    public var repetition: Int
    public var startedAt: Date
    public var wallNs: UInt64
    public var cpuUserNs: UInt64
    public var cpuSystemNs: UInt64
    public var exit: ExitDescription
    /// The fixture workload's own result line (ops and time of its measured loop).
    public var workloadReport: WorkloadReport?
    public var target: TargetDescription
    public var probes: [ProbeStatus]
    public var syscalls: [SyscallStats]
    public var sched: SchedStats?
    public var memory: MemoryStats?
    public var slowSyscalls: [SlowSyscall]
    /// Scheduling events from the sched probe's ring buffer (long run-queue waits).
    public var schedEvents: [SchedEvent]?
    public var eventsDropped: UInt64
    /// The environment's own cost around the workload (cgroup, runtime, VM boot).
    public var setupNs: UInt64
    public var teardownNs: UInt64
    /// Runtime, limits and limit events, for environments that have them.
    public var details: EnvironmentDetails?
    /// VMs: the host's probes on the VMM (QEMU's cgroup) during the same run.
    public var hostView: HostView?
    /// Network workloads: the path to the peer and what the peer's server saw.
    public var network: NetworkFigures?
    /// A guest's network probe, as its agent sends it; the host moves it into
    /// `network.guest_probes` (absent from a finished result).
    public var guestNetworkProbes: NetworkProbeFigures?
    /// Block workloads: IOPS, bandwidth and completion latency (see BlockIO.swift).
    public var blockIo: BlockIOFigures?
    /// Block workloads: the block probe's view of the run's device, in the workload's kernel.
    public var blockLayer: BlockLayerStats?
    /// fio workloads: fio's own figures per job.
    public var fio: [FioJobFigures]?
    /// membw: STREAM's copy, scale, add and triad.
    public var memoryBandwidth: MemoryBandwidthFigures?
    /// memlat: ns per dependent load at each working-set size.
    public var memoryLatency: MemoryLatencyCurve?
    /// What the environment's instance costs the host in memory beyond the workload.
    public var footprint: Footprint?

    public init(environment: String, workload: WorkloadDescription, repetition: Int,
                startedAt: Date, wallNs: UInt64, cpuUserNs: UInt64, cpuSystemNs: UInt64,
                exit: ExitDescription, workloadReport: WorkloadReport?, target: TargetDescription,
                probes: [ProbeStatus], syscalls: [SyscallStats], sched: SchedStats?,
                memory: MemoryStats?, slowSyscalls: [SlowSyscall] = [], eventsDropped: UInt64 = 0,
                setupNs: UInt64 = 0, teardownNs: UInt64 = 0, details: EnvironmentDetails? = nil) {
        self.environment = environment
        self.workload = workload
        self.repetition = repetition
        self.startedAt = startedAt
        self.wallNs = wallNs
        self.cpuUserNs = cpuUserNs
        self.cpuSystemNs = cpuSystemNs
        self.exit = exit
        self.workloadReport = workloadReport
        self.target = target
        self.probes = probes
        self.syscalls = syscalls
        self.sched = sched
        self.memory = memory
        self.slowSyscalls = slowSyscalls
        self.eventsDropped = eventsDropped
        self.setupNs = setupNs
        self.teardownNs = teardownNs
        self.details = details
    }

    public func syscall(_ name: String) -> SyscallStats? { syscalls.first { $0.name == name } }
    public var totalSyscalls: UInt64 { syscalls.reduce(0) { $0 + $1.count } }
}

public struct WorkloadDescription: Codable, Sendable, Equatable {
    public var spec: String
    public var name: String
    public var parameters: [String: String]
    public var command: [String]

    public init(spec: String, name: String, parameters: [String: String], command: [String]) {
        self.spec = spec
        self.name = name
        self.parameters = parameters
        self.command = command
    }
}

public struct ExitDescription: Codable, Sendable, Equatable {
    /// "exited", "signaled", "oom_killed", "timeout", or "interrupted" (isoprobe got SIGINT,
    /// SIGTERM or SIGHUP while the workload ran and stopped it: not a failure of the workload).
    public var kind: String
    public var code: Int32?
    public var signal: Int32?
    public var description: String
    /// A failed run's last line of output (fio's error, a tool's complaint), for the one
    /// line that reports the failure; nil for a run that succeeded or said nothing.
    public var lastOutput: String?

    public init(kind: String, code: Int32?, signal: Int32?, description: String) {
        self.kind = kind
        self.code = code
        self.signal = signal
        self.description = description
    }

    public var succeeded: Bool { kind == "exited" && code == 0 }

    /// The longest `lastOutput` kept.
    public static let lastOutputLimit = 240

    /// The last line of `output` that says something: not blank, and not a line of JSON
    /// (a tool that fails may still print its JSON's frame). One terminal line, bounded.
    public static func lastWords(of output: String) -> String? {
        for line in output.split(whereSeparator: \.isNewline).reversed() {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, let first = text.first, !"{}[]\",".contains(first) else { continue }
            return ErrorWords.oneLine(String(text.prefix(lastOutputLimit)))
        }
        return nil
    }

    /// A failed run keeps `output`'s last words; a run that succeeded or that isoprobe
    /// stopped (interrupted) keeps none.
    public mutating func keepLastWords(of output: String) {
        guard !succeeded && kind != "interrupted" else { return }
        lastOutput = Self.lastWords(of: output)
    }

    /// The whole phrase for a report: "exited with status 1: fio: ... error=Operation not permitted".
    public var explained: String { lastOutput.map { "\(description): \($0)" } ?? description }
}

public struct WorkloadReport: Codable, Sendable, Equatable {
    public var ops: UInt64
    public var elapsedNs: UInt64
    public var nsPerOp: Double
    public var extra: [String: String]

    public init(ops: UInt64, elapsedNs: UInt64, nsPerOp: Double, extra: [String: String]) {
        self.ops = ops
        self.elapsedNs = elapsedNs
        self.nsPerOp = nsPerOp
        self.extra = extra
    }

    /// Parses the last `isoprobe-workload key=value ...` line of a workload's output.
    public static func parse(output: String) -> WorkloadReport? {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("isoprobe-workload ") })
        else { return nil }
        var fields: [String: String] = [:]
        for token in line.split(separator: " ").dropFirst() {
            let kv = token.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { fields[kv[0]] = kv[1] }
        }
        guard let ops = fields["ops"].flatMap(UInt64.init),
              let elapsed = fields["elapsed_ns"].flatMap(UInt64.init) else { return nil }
        let per = fields["ns_per_op"].flatMap(Double.init) ?? (ops > 0 ? Double(elapsed) / Double(ops) : 0)
        for k in ["ops", "elapsed_ns", "ns_per_op"] { fields[k] = nil }
        return WorkloadReport(ops: ops, elapsedNs: elapsed, nsPerOp: per, extra: fields)
    }
}

public struct TargetDescription: Codable, Sendable, Equatable {
    public var cgroupPath: String
    public var cgroupId: UInt64
    public var cgroupLevel: Int

    public init(cgroupPath: String, cgroupId: UInt64, cgroupLevel: Int) {
        self.cgroupPath = cgroupPath
        self.cgroupId = cgroupId
        self.cgroupLevel = cgroupLevel
    }
}

/// How one probe family ran: attached through tp_btf or raw_tp, or why it did not.
public struct ProbeStatus: Codable, Sendable, Equatable {
    public var family: String
    public var attached: Bool
    public var mode: String
    public var detail: String?
    /// Events the family's programs missed: the kernel skips a program's run when its event
    /// comes while the program already runs on that CPU. nil when none.
    public var missedRuns: UInt64?

    public init(family: String, attached: Bool, mode: String, detail: String? = nil) {
        self.family = family
        self.attached = attached
        self.mode = mode
        self.detail = detail
    }
}

public struct SyscallStats: Codable, Sendable, Equatable {
    public struct ErrnoCount: Codable, Sendable, Equatable {
        public var errno: String
        public var code: Int
        public var count: UInt64
        public init(errno: String, code: Int, count: UInt64) {
            self.errno = errno
            self.code = code
            self.count = count
        }
    }

    public var name: String
    public var nr: Int
    public var count: UInt64
    public var errors: UInt64
    public var errnos: [ErrnoCount]
    public var totalNs: UInt64
    public var latencyHist: Log2Histogram

    public init(name: String, nr: Int, count: UInt64, errors: UInt64, errnos: [ErrnoCount],
                totalNs: UInt64, latencyHist: Log2Histogram) {
        self.name = name
        self.nr = nr
        self.count = count
        self.errors = errors
        self.errnos = errnos
        self.totalNs = totalNs
        self.latencyHist = latencyHist
    }

    public var meanNs: Double { count > 0 ? Double(totalNs) / Double(count) : 0 }
}

public struct SchedStats: Codable, Sendable, Equatable {
    public struct ContextSwitches: Codable, Sendable, Equatable {
        public var voluntary: UInt64
        public var involuntary: UInt64
        public init(voluntary: UInt64, involuntary: UInt64) {
            self.voluntary = voluntary
            self.involuntary = involuntary
        }
        public var total: UInt64 { voluntary + involuntary }
    }

    public var contextSwitches: ContextSwitches
    public var migrations: UInt64
    public var wakeups: UInt64
    public var wakeupsNew: UInt64
    public var runqueueLatencyHist: Log2Histogram
    public var runqueueLatencyTotalNs: UInt64
    public var oncpuSliceHist: Log2Histogram
    public var oncpuTotalNs: UInt64
    /// CPU time of the workload's tasks, summed by the kernel as each exited.
    public var cpu: CPUTime?
    /// The wait status the workload's first process exited with, when the environment
    /// named it to the probes (a container's, whose runtime folds it into one byte).
    public var leaderWaitStatus: Int32?

    public struct CPUTime: Codable, Sendable, Equatable {
        public var exitedTasks: UInt64
        /// Exact (the scheduler's sum_exec_runtime).
        public var runtimeNs: UInt64
        /// runtime_ns split in the ratio of the tick-sampled user and system times, as
        /// getrusage does.
        public var userNs: UInt64
        public var systemNs: UInt64
        /// CLOCK_MONOTONIC when the last of them exited.
        public var lastExitNs: UInt64

        public init(exitedTasks: UInt64, runtimeNs: UInt64, userNs: UInt64, systemNs: UInt64, lastExitNs: UInt64) {
            self.exitedTasks = exitedTasks
            self.runtimeNs = runtimeNs
            self.userNs = userNs
            self.systemNs = systemNs
            self.lastExitNs = lastExitNs
        }
    }

    public init(contextSwitches: ContextSwitches, migrations: UInt64, wakeups: UInt64,
                wakeupsNew: UInt64, runqueueLatencyHist: Log2Histogram, runqueueLatencyTotalNs: UInt64,
                oncpuSliceHist: Log2Histogram, oncpuTotalNs: UInt64) {
        self.contextSwitches = contextSwitches
        self.migrations = migrations
        self.wakeups = wakeups
        self.wakeupsNew = wakeupsNew
        self.runqueueLatencyHist = runqueueLatencyHist
        self.runqueueLatencyTotalNs = runqueueLatencyTotalNs
        self.oncpuSliceHist = oncpuSliceHist
        self.oncpuTotalNs = oncpuTotalNs
    }
}

public struct MemoryStats: Codable, Sendable, Equatable {
    public struct PageFaults: Codable, Sendable, Equatable {
        public var user: UInt64
        public var kernel: UInt64
        public init(user: UInt64, kernel: UInt64) {
            self.user = user
            self.kernel = kernel
        }
        public var total: UInt64 { user + kernel }
    }

    public struct CallBytes: Codable, Sendable, Equatable {
        public var calls: UInt64
        public var bytes: UInt64
        public init(calls: UInt64, bytes: UInt64) {
            self.calls = calls
            self.bytes = bytes
        }
    }

    public struct Brk: Codable, Sendable, Equatable {
        public var calls: UInt64
        public var growBytes: UInt64
        public var shrinkBytes: UInt64
        public init(calls: UInt64, growBytes: UInt64, shrinkBytes: UInt64) {
            self.calls = calls
            self.growBytes = growBytes
            self.shrinkBytes = shrinkBytes
        }
    }

    public var pageFaults: PageFaults
    public var mmap: CallBytes?
    public var munmap: CallBytes?
    public var brk: Brk?
    /// Processes of the workload the OOM killer chose.
    public var oomKills: UInt64 = 0
    /// Largest resident set (file + anon + shmem pages) any of the workload's address
    /// spaces reached, from the kernel's rss_stat tracepoint.
    public var peakRssBytes: UInt64

    public init(pageFaults: PageFaults, mmap: CallBytes?, munmap: CallBytes?, brk: Brk?, peakRssBytes: UInt64) {
        self.pageFaults = pageFaults
        self.mmap = mmap
        self.munmap = munmap
        self.brk = brk
        self.peakRssBytes = peakRssBytes
    }
}

public struct SlowSyscall: Codable, Sendable, Equatable {
    public var name: String
    public var pid: UInt32
    public var tid: UInt32
    public var cpu: UInt32
    public var comm: String
    public var startNs: UInt64
    public var durationNs: UInt64
    public var ret: Int64

    public init(name: String, pid: UInt32, tid: UInt32, cpu: UInt32, comm: String,
                startNs: UInt64, durationNs: UInt64, ret: Int64) {
        self.name = name
        self.pid = pid
        self.tid = tid
        self.cpu = cpu
        self.comm = comm
        self.startNs = startNs
        self.durationNs = durationNs
        self.ret = ret
    }
}

/// A scheduling event the probes sent while the workload ran.
public struct SchedEvent: Codable, Sendable, Equatable {
    /// "runq_wait": runnable, waiting for a CPU.
    public var kind: String
    public var pid: UInt32
    public var tid: UInt32
    public var cpu: UInt32
    public var comm: String
    public var startNs: UInt64
    public var durationNs: UInt64

    public init(kind: String, pid: UInt32, tid: UInt32, cpu: UInt32, comm: String, startNs: UInt64, durationNs: UInt64) {
        self.kind = kind
        self.pid = pid
        self.tid = tid
        self.cpu = cpu
        self.comm = comm
        self.startNs = startNs
        self.durationNs = durationNs
    }
}

/// What an isolated environment was and what its limits did.
public struct EnvironmentDetails: Codable, Sendable, Equatable {
    public struct Runtime: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var path: String
        public init(name: String, version: String, path: String) {
            self.name = name
            self.version = version
            self.path = path
        }
    }

    public struct Limits: Codable, Sendable, Equatable {
        public var cpus: Double?
        public var memoryBytes: Int64?
        public var pids: Int64?
        public init(cpus: Double? = nil, memoryBytes: Int64? = nil, pids: Int64? = nil) {
            self.cpus = cpus
            self.memoryBytes = memoryBytes
            self.pids = pids
        }
        public var isEmpty: Bool { cpus == nil && memoryBytes == nil && pids == nil }
    }

    /// Counters the kernel keeps for the environment's cgroup, read before it is removed.
    /// What the limits did, from the probes: OOM kills of the workload's processes, and
    /// forks refused with EAGAIN (a pids limit, or RLIMIT_NPROC).
    public struct LimitEvents: Codable, Sendable, Equatable {
        public var oomKills: UInt64
        public var pidsLimitHits: UInt64
        public init(oomKills: UInt64 = 0, pidsLimitHits: UInt64 = 0) {
            self.oomKills = oomKills
            self.pidsLimitHits = pidsLimitHits
        }

        public static func from(syscalls: [SyscallStats], memory: MemoryStats?) -> LimitEvents {
            let forks: Set<String> = ["clone", "clone3", "fork", "vfork"]
            let refused = syscalls.filter { forks.contains($0.name) }
                .flatMap(\.errnos).filter { $0.errno == "EAGAIN" }.reduce(0) { $0 + $1.count }
            return LimitEvents(oomKills: memory?.oomKills ?? 0, pidsLimitHits: refused)
        }
    }

    public var runtime: Runtime?
    /// VMs: kvm or tcg; TCG figures do not stand for KVM's overhead.
    public var accelerator: String?
    public var guestKernel: String?
    /// VMs: the guest kernel's clocksource, which every figure measured inside it is timed by
    /// (tsc or kvm-clock; a jiffies clock moves in 4 ms steps and loses time under TCG).
    public var guestClocksource: String?
    /// VMs: from starting QEMU to the agent's first line on the guest console.
    public var bootNs: UInt64?
    /// VMs: the guest console's log file.
    public var guestLog: String?
    /// VMs: "persistent" (one guest serves every run of the plan, paused between runs; boot
    /// is reported on the first run it served) or "fresh" (a guest booted for each run).
    public var guestMode: String?
    public var limits: Limits?
    public var limitEvents: LimitEvents?
    /// The profile the environment ran with, in a few lines (namespaces, capabilities, seccomp).
    public var profile: [String]?
    /// The block device a storage workload ran on, and how its I/O reached the disk.
    public var blockPath: BlockPath?

    public init(runtime: Runtime? = nil, limits: Limits? = nil, limitEvents: LimitEvents? = nil,
                profile: [String]? = nil, blockPath: BlockPath? = nil) {
        self.blockPath = blockPath
        self.runtime = runtime
        self.limits = limits
        self.limitEvents = limitEvents
        self.profile = profile
    }
}

/// The host's side of a guest run: what the VMM process did while the guest ran.
public struct HostView: Codable, Sendable, Equatable {
    public var target: TargetDescription
    public var probes: [ProbeStatus]
    public var syscalls: [SyscallStats]
    public var sched: SchedStats?
    public var memory: MemoryStats?
    /// Under KVM: exits by reason from the kvm tracepoints.
    public var kvm: KVMExits?

    public init(target: TargetDescription, probes: [ProbeStatus], syscalls: [SyscallStats], sched: SchedStats?,
                memory: MemoryStats?, kvm: KVMExits? = nil) {
        self.kvm = kvm
        self.target = target
        self.probes = probes
        self.syscalls = syscalls
        self.sched = sched
        self.memory = memory
    }

    public var totalSyscalls: UInt64 { syscalls.reduce(0) { $0 + $1.count } }
}
