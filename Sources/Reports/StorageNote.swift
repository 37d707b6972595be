import IsoprobeCore

/// A warning for workloads that wrote to different kinds of filesystem in different
/// environments (fileio reports `fs=`): their I/O figures then compare storage as well as
/// isolation, e.g. a guest's in-memory root against the host's disk.
public enum StorageNote {
    public static func lines(_ runs: [RunResult]) -> [String] {
        var order: [String] = []
        var byWorkload: [String: [(environment: String, fs: String)]] = [:]
        for run in runs {
            guard let fs = run.workloadReport?.extra["fs"] else { continue }
            let spec = run.workload.spec
            if byWorkload[spec] == nil { order.append(spec) }
            if !(byWorkload[spec]?.contains { $0.environment == run.environment } ?? false) {
                byWorkload[spec, default: []].append((run.environment, fs))
            }
        }
        return order.compactMap { spec in
            let seen = byWorkload[spec]!
            guard Set(seen.map(\.fs)).count > 1 else { return nil }
            return "\(spec) wrote to different filesystems: "
                + seen.map { "\($0.environment) \($0.fs)" }.joined(separator: ", ")
                + "; its I/O figures compare storage as well as isolation"
        }
    }

    /// How each environment's block I/O reached the disk, one line per environment that ran
    /// a storage workload: "vm: virtio-blk /dev/vdb, cache=none, aio=native, 1 queue, ...".
    public static func blockPaths(_ runs: [RunResult]) -> [String] {
        var seen: [String] = []
        var out: [String] = []
        for run in runs {
            guard let path = run.details?.blockPath, !seen.contains(run.environment) else { continue }
            seen.append(run.environment)
            out.append("\(run.environment): \(path)" + (run.blockLayer.map { "; " + summary($0) } ?? "")
                       + (run.blockIo?.vmm.map { "; " + summary($0) } ?? ""))
        }
        return out
    }

    /// "block layer 7:0: 2000 read (7.8 MiB), most in flight 32".
    public static func summary(_ b: BlockLayerStats) -> String {
        let ops = b.operations.map { "\($0.completions) \($0.op) (\(Format.bytes($0.bytes)))" }
        return "block layer \(b.device): " + (ops.isEmpty ? "no requests" : ops.joined(separator: ", "))
            + ", most in flight \(b.maxInFlight)"
    }

    /// "QEMU per I/O: 41.2 us CPU, 2.0 I/O syscalls (io_submit 1000, io_getevents 1000)".
    public static func summary(_ v: VMMBlockCost) -> String {
        let calls = v.ioSyscalls.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "QEMU per I/O: " + (v.cpuPerIoNs.map { Format.duration(ns: $0) + " CPU, " } ?? "")
            + String(format: "%.1f I/O syscalls", v.ioSyscallsPerIo) + (calls.isEmpty ? "" : " (\(calls))")
    }

    /// `--detail`: the block probe's histograms, as biolatency prints them.
    public static func blockLayerSection(_ run: RunResult) -> String {
        guard let b = run.blockLayer else { return "" }
        var out = "\n  \(summary(b))\n"
        for op in b.operations {
            out += "\n  block \(op.op) latency (issue to completion):\n" + HistogramPrinter.render(op.latencyHist, label: "nsecs")
        }
        out += "\n  requests in flight at issue:\n" + HistogramPrinter.render(b.queueDepthHist, label: "requests")
        return out
    }
}
