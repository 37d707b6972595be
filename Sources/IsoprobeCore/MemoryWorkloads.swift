/// membw's figures: STREAM's four kernels, best of its passes, in GB/s (10^9 bytes).
public struct MemoryBandwidthFigures: Codable, Sendable, Equatable {
    public var threads: Int
    public var arrayBytes: UInt64
    public var copyGbPerS: Double
    public var scaleGbPerS: Double
    public var addGbPerS: Double
    public var triadGbPerS: Double

    public init?(report: WorkloadReport?) {
        guard let e = report?.extra, e["name"] == "membw", let threads = e["threads"].flatMap(Int.init),
              let size = e["size"].flatMap(UInt64.init), let copy = e["copy_gbps"].flatMap(Double.init),
              let scale = e["scale_gbps"].flatMap(Double.init), let add = e["add_gbps"].flatMap(Double.init),
              let triad = e["triad_gbps"].flatMap(Double.init) else { return nil }
        self.threads = threads
        arrayBytes = size
        copyGbPerS = copy
        scaleGbPerS = scale
        addGbPerS = add
        triadGbPerS = triad
    }
}

/// memlat's curve: ns per dependent load at each working-set size, smallest first.
public struct MemoryLatencyCurve: Codable, Sendable, Equatable {
    public struct Point: Codable, Sendable, Equatable {
        public var bytes: UInt64
        public var nsPerLoad: Double

        public init(bytes: UInt64, nsPerLoad: Double) {
            self.bytes = bytes
            self.nsPerLoad = nsPerLoad
        }
    }

    /// Whether transparent huge pages were asked for (madvise) on the buffer.
    public var hugePages: Bool
    public var points: [Point]

    public init(hugePages: Bool, points: [Point]) {
        self.hugePages = hugePages
        self.points = points
    }

    /// From memlat's `curve=BYTES:NS;...` (at most 64 points, like every figure a guest sends, bounded).
    public init?(report: WorkloadReport?) {
        guard let e = report?.extra, e["name"] == "memlat", let curve = e["curve"] else { return nil }
        let points = curve.split(separator: ";").prefix(64).compactMap { pair -> Point? in
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let bytes = UInt64(parts[0]), let ns = Double(parts[1]), ns.isFinite, ns >= 0 else { return nil }
            return Point(bytes: bytes, nsPerLoad: ns)
        }
        guard !points.isEmpty else { return nil }
        self.init(hugePages: e["thp"] == "1", points: points)
    }

    /// ns per load at the largest working set (past every cache: what a miss to memory costs).
    public var largestNs: Double? { points.last?.nsPerLoad }
}
