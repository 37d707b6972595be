import BPF
import CShim
import Foundation
import IsoprobeCore

/// The block probe (probes/block.bpf.c) on one device: loaded when the run's workload is
/// let go, detached when it ends. It counts by device, whoever issues the I/O (a loop
/// device's worker, a guest's virtio queue), so it needs no cgroup.
public final class BlockProbe: RunObserver {
    let directory: String
    /// major << 20 | minor, as the kernel's block tracepoints carry it.
    public let device: UInt32
    private let probe = TargetedObject()
    public private(set) var unavailable: String?

    public init(directory: String, device: UInt32) {
        self.directory = directory
        self.device = device
    }

    /// The kernel's number for a block device node, as the probe filters on it; nil for
    /// anything else.
    public static func kernelDevice(ofNode path: String) -> UInt32? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFBLK else { return nil }
        let rdev = UInt64(st.st_rdev)
        let major = UInt32((rdev >> 8) & 0xfff | (rdev >> 32) & ~0xfff)
        let minor = UInt32(rdev & 0xff | (rdev >> 12) & ~0xff)
        return major << 20 | minor
    }

    deinit { close() }

    public func targetReady(_ target: CgroupTarget) throws {
        unavailable = try probe.open("block.bpf.o", in: directory, target: nil, name: "block",
                                     tracepoints: ["block_rq_issue", "block_rq_complete"]) { [device] object in
            try object.setConstant("target_dev", device)
        }
        if let unavailable { FileHandle.standardError.write(Data("isoprobe: block probe not attached: \(unavailable)\n".utf8)) }
    }

    public func workloadFinished() { probe.detach() }

    /// nil when the probe could not attach (the reason was printed).
    public func collect() throws -> BlockLayerStats? {
        guard let object = probe.object else { return nil }
        let perCPU = try object.map(named: "stats").lookup(UInt32(0), as: isoprobe_block_stat.self) ?? []
        let depth = try object.map(named: "depth").lookup(UInt32(0), as: isoprobe_block_depth.self)?.first
        var depthHist = Log2Histogram(unit: "requests")
        for s in perCPU { depthHist = depthHist + Log2Histogram(unit: "requests", slots: array(s.depth_hist, of: UInt64.self)) }
        let opsMap = try object.map(named: "ops")
        var operations: [BlockLayerStats.Operation] = []
        for (index, name) in ["read", "write", "other"].enumerated() {
            let cpus = try opsMap.lookup(UInt32(index), as: isoprobe_block_op_stat.self) ?? []
            var hist = Log2Histogram(unit: "ns")
            for c in cpus { hist = hist + Log2Histogram(unit: "ns", slots: array(c.hist, of: UInt64.self)) }
            let op = BlockLayerStats.Operation(op: name, completions: cpus.reduce(0) { $0 + $1.completions },
                                               bytes: cpus.reduce(0) { $0 + $1.bytes },
                                               totalNs: cpus.reduce(0) { $0 + $1.total_ns }, latencyHist: hist)
            if op.completions > 0 { operations.append(op) }
        }
        var stats = BlockLayerStats(device: "\(device >> 20):\(device & 0xfffff)", issued: perCPU.reduce(0) { $0 + $1.issued },
                                    unmatched: perCPU.reduce(0) { $0 + $1.unmatched }, maxInFlight: depth?.max_in_flight ?? 0,
                                    queueDepthHist: depthHist, operations: operations)
        let missed = object.recursionMisses
        stats.missedRuns = missed > 0 ? missed : nil
        return stats
    }

    public func close() { probe.close() }
}
