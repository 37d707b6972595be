/// The raw block device a storage workload runs on, the same kind of backing in every
/// environment: a file on the host's disk under the scratch location, reached natively and
/// in a container through a loop device with direct I/O, and in a guest as a virtio-blk disk
/// that QEMU opens itself (cache=none). The workload finds it in `ISOPROBE_BLOCK`.
public enum BlockDeviceNeed {
    public static let environmentVariable = "ISOPROBE_BLOCK"
    /// blockio's default `size`.
    public static let defaultBytes: Int64 = 64 << 20

    /// The backing a workload needs, in bytes; nil when it needs none.
    public static func bytes(for spec: WorkloadSpec) -> Int64? {
        if FioJob.isFio(spec) {
            guard let job = try? FioJob.load(spec), job.usesBlockDevice else { return nil }
            return job.sizeBytes ?? defaultBytes
        }
        guard spec.command == nil, spec.name == "blockio" else { return nil }
        return spec.parameter("size").flatMap(ByteSize.parse) ?? defaultBytes
    }

    /// The largest backing any of the specs needs; nil when none needs one.
    public static func bytes(for specs: [WorkloadSpec]) -> Int64? {
        specs.compactMap(bytes(for:)).max()
    }
}

/// How a run's block I/O reached the disk: named in every report.
public struct BlockPath: Codable, Sendable, Equatable, CustomStringConvertible {
    /// `loop` (native and container) or `virtio-blk` (a guest).
    public var kind: String
    /// The device the workload opened, as it saw it.
    public var device: String
    public var backingBytes: Int64
    /// loop: whether the loop device reaches its backing with direct I/O.
    public var directIo: Bool?
    /// virtio-blk: QEMU's host-side cache mode and AIO engine, its iothread and queues.
    public var cache: String?
    public var aio: String?
    public var iothread: Bool?
    public var queues: Int?

    public init(kind: String, device: String, backingBytes: Int64, directIo: Bool? = nil, cache: String? = nil,
                aio: String? = nil, iothread: Bool? = nil, queues: Int? = nil) {
        self.kind = kind
        self.device = device
        self.backingBytes = backingBytes
        self.directIo = directIo
        self.cache = cache
        self.aio = aio
        self.iothread = iothread
        self.queues = queues
    }

    /// "loop /dev/loop3, direct I/O, 64 MiB backing" or "virtio-blk /dev/vdb, cache=none, aio=native, iothread, 1 queue, ...".
    public var description: String {
        var words = ["\(kind) \(device)"]
        if let directIo { words.append(directIo ? "direct I/O" : "buffered (direct I/O refused by the backing's filesystem)") }
        if let cache { words.append("cache=\(cache)") }
        if let aio { words.append("aio=\(aio)") }
        if let iothread { words.append(iothread ? "iothread" : "no iothread (it needs KVM's ioeventfd)") }
        if let queues { words.append(queues == 1 ? "1 queue" : "\(queues) queues") }
        words.append("\(backingBytes >> 20) MiB backing")
        return words.joined(separator: ", ")
    }
}

/// What a block workload measured: from blockio's result line (`iops=`, `mb_per_s=`, ...).
public struct BlockIOFigures: Codable, Sendable, Equatable {
    public var pattern: String
    public var blockBytes: UInt64
    public var queueDepth: Int
    public var ios: UInt64
    public var bytes: UInt64
    public var iops: Double
    public var mbPerS: Double
    public var latencyP50Ns: UInt64
    public var latencyP99Ns: UInt64
    public var latencyP999Ns: UInt64
    /// A guest's run: what its I/O cost the host's VMM.
    public var vmm: VMMBlockCost?

    public init(pattern: String, blockBytes: UInt64, queueDepth: Int, ios: UInt64, bytes: UInt64, iops: Double,
                mbPerS: Double, latencyP50Ns: UInt64, latencyP99Ns: UInt64, latencyP999Ns: UInt64) {
        self.pattern = pattern
        self.blockBytes = blockBytes
        self.queueDepth = queueDepth
        self.ios = ios
        self.bytes = bytes
        self.iops = iops
        self.mbPerS = mbPerS
        self.latencyP50Ns = latencyP50Ns
        self.latencyP99Ns = latencyP99Ns
        self.latencyP999Ns = latencyP999Ns
    }

    /// nil unless the report carries every figure.
    public init?(report: WorkloadReport?) {
        guard let report, let e = Optional(report.extra), let pattern = e["pattern"],
              let bs = e["bs"].flatMap(UInt64.init), let qd = e["qd"].flatMap(Int.init),
              let bytes = e["bytes"].flatMap(UInt64.init), let iops = e["iops"].flatMap(Double.init),
              let mbps = e["mb_per_s"].flatMap(Double.init), let p50 = e["lat_p50_ns"].flatMap(UInt64.init),
              let p99 = e["lat_p99_ns"].flatMap(UInt64.init), let p999 = e["lat_p999_ns"].flatMap(UInt64.init)
        else { return nil }
        self.init(pattern: pattern, blockBytes: bs, queueDepth: qd, ios: report.ops, bytes: bytes, iops: iops,
                  mbPerS: mbps, latencyP50Ns: p50, latencyP99Ns: p99, latencyP999Ns: p999)
    }
}

/// The block layer under a run, from the block probe in the kernel the workload ran on
/// (block_rq_issue to block_rq_complete on the run's device): what reached the device.
public struct BlockLayerStats: Codable, Sendable, Equatable {
    public struct Operation: Codable, Sendable, Equatable {
        /// `read`, `write` or `other` (flush, discard...).
        public var op: String
        public var completions: UInt64
        public var bytes: UInt64
        public var totalNs: UInt64
        /// Issue to completion.
        public var latencyHist: Log2Histogram

        public init(op: String, completions: UInt64, bytes: UInt64, totalNs: UInt64, latencyHist: Log2Histogram) {
            self.op = op
            self.completions = completions
            self.bytes = bytes
            self.totalNs = totalNs
            self.latencyHist = latencyHist
        }
    }

    /// The device as the kernel numbers it: `major:minor`.
    public var device: String
    /// Issues and completions the probe missed (ProbeStatus.missedRuns); nil when none.
    public var missedRuns: UInt64?
    public var issued: UInt64
    /// Completions of requests issued before the probe attached.
    public var unmatched: UInt64
    public var maxInFlight: UInt64
    /// Requests in flight at each issue, itself included.
    public var queueDepthHist: Log2Histogram
    /// Operations that completed at least once.
    public var operations: [Operation]

    public init(device: String, issued: UInt64, unmatched: UInt64, maxInFlight: UInt64, queueDepthHist: Log2Histogram,
                operations: [Operation]) {
        self.device = device
        self.issued = issued
        self.unmatched = unmatched
        self.maxInFlight = maxInFlight
        self.queueDepthHist = queueDepthHist
        self.operations = operations
    }

    public var completions: UInt64 { operations.reduce(0) { $0 + $1.completions } }
    public var bytes: UInt64 { operations.reduce(0) { $0 + $1.bytes } }
    public func operation(_ op: String) -> Operation? { operations.first { $0.op == op } }
}

/// The host's view of a guest's block I/O, per I/O the workload completed: QEMU's on-CPU
/// time (every QEMU thread's, from the host's sched probe on its cgroup) and the I/O system
/// calls it made to serve the disk. Without an iothread (TCG here) the vCPU's emulation runs
/// in the same process, so the CPU is an upper bound on what the disk alone cost.
public struct VMMBlockCost: Codable, Sendable, Equatable {
    public var cpuPerIoNs: Double?
    public var ioSyscallsPerIo: Double
    /// Each I/O system call QEMU made during the run, by name.
    public var ioSyscalls: [String: UInt64]

    /// The system calls that move a disk's data, or wait for it, in QEMU's engines (aio=native
    /// and io_uring, threads, and the flushes of cache=none).
    public static let ioSyscallNames: Set<String> = [
        "io_submit", "io_getevents", "io_pgetevents", "io_uring_enter", "preadv", "pwritev", "preadv2", "pwritev2",
        "pread64", "pwrite64", "fdatasync", "fsync",
    ]

    public init?(hostView: HostView?, ios: UInt64) {
        guard let hostView, ios > 0 else { return nil }
        var calls: [String: UInt64] = [:]
        for s in hostView.syscalls where Self.ioSyscallNames.contains(s.name) && s.count > 0 { calls[s.name] = s.count }
        ioSyscalls = calls
        ioSyscallsPerIo = Double(calls.values.reduce(0, +)) / Double(ios)
        cpuPerIoNs = hostView.sched.map { Double($0.oncpuTotalNs) / Double(ios) }
    }
}
