import Foundation

/// fio's `--output-format=json` figures per job: IOPS, bandwidth and completion-latency
/// percentiles of its reads and writes.
public struct FioJobFigures: Codable, Sendable, Equatable {
    public struct Direction: Codable, Sendable, Equatable {
        public var ios: UInt64
        public var bytes: UInt64
        public var iops: Double
        /// fio's `bw_bytes`, as MB/s (10^6).
        public var mbPerS: Double
        public var latencyP50Ns: UInt64?
        public var latencyP99Ns: UInt64?
        public var latencyP999Ns: UInt64?
    }

    public var name: String
    public var read: Direction?
    public var write: Direction?

    /// The jobs of fio's JSON (the object after any text fio printed first); nil when the
    /// output holds none. Bounded like every workload's output (ChildProcess keeps 1 MiB).
    public static func parse(output: String) -> [FioJobFigures]? {
        guard let start = output.firstIndex(of: "{"),
              let object = try? JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any],
              let jobs = object["jobs"] as? [[String: Any]] else { return nil }
        return jobs.prefix(256).map { job in
            FioJobFigures(name: job["jobname"] as? String ?? "job",
                          read: direction(job["read"]), write: direction(job["write"]))
        }
    }

    static func direction(_ value: Any?) -> Direction? {
        guard let d = value as? [String: Any], let ios = (d["total_ios"] as? NSNumber)?.uint64Value, ios > 0 else { return nil }
        let clat = (d["clat_ns"] as? [String: Any])?["percentile"] as? [String: Any]
        func p(_ key: String) -> UInt64? { (clat?[key] as? NSNumber)?.uint64Value }
        return Direction(ios: ios, bytes: (d["io_bytes"] as? NSNumber)?.uint64Value ?? 0,
                         iops: (d["iops"] as? NSNumber)?.doubleValue ?? 0,
                         mbPerS: Double((d["bw_bytes"] as? NSNumber)?.uint64Value ?? 0) / 1e6,
                         latencyP50Ns: p("50.000000"), latencyP99Ns: p("99.000000"), latencyP999Ns: p("99.900000"))
    }
}

extension BlockIOFigures {
    /// A fio run's figures as one block workload's: IOPS and bandwidth summed over jobs and
    /// directions, the latency percentiles of the busiest job's busiest direction.
    public init?(fio jobs: [FioJobFigures]?, job: FioJob?) {
        guard let jobs else { return nil }
        let directions = jobs.flatMap { [$0.read, $0.write].compactMap { $0 } }
        guard let busiest = directions.max(by: { $0.ios < $1.ios }) else { return nil }
        let options = job?.sections.flatMap(\.options) ?? []
        func option(_ key: String) -> String? { options.last { $0.key == key }?.value ?? nil }
        // `rw=randread:8` (an offset modifier after the colon) is still randread.
        let rw = (option("rw") ?? option("readwrite") ?? "read").split(separator: ":").first.map(String.init) ?? "read"
        self.init(pattern: rw,
                  blockBytes: UInt64(option("bs").flatMap(ByteSize.parse) ?? 4096),
                  queueDepth: Int(option("iodepth") ?? "1") ?? 1,
                  ios: directions.reduce(0) { $0 + $1.ios }, bytes: directions.reduce(0) { $0 + $1.bytes },
                  iops: directions.reduce(0) { $0 + $1.iops }, mbPerS: directions.reduce(0) { $0 + $1.mbPerS },
                  latencyP50Ns: busiest.latencyP50Ns ?? 0, latencyP99Ns: busiest.latencyP99Ns ?? 0,
                  latencyP999Ns: busiest.latencyP999Ns ?? 0)
    }
}
