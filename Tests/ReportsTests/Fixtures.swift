import Foundation
import IsoprobeCore
import Testing

/// A document with every section filled, built by hand so each figure is known.
enum Sample {
    static func hist(_ pairs: [(UInt64, UInt64)]) -> Log2Histogram {
        var h = Log2Histogram()
        for (value, times) in pairs { h.record(value, times: times) }
        return h
    }

    static func run(_ env: String, rep: Int, getpid: UInt64 = 100_000, wall: UInt64) -> RunResult {
        let syscalls = [
            SyscallStats(name: "getpid", nr: 39, count: getpid, errors: 0, errnos: [], totalNs: getpid * 150,
                         latencyHist: hist([(env == "native" ? 150 : 600, getpid - 10), (5_000, 10)])),
            SyscallStats(name: "openat", nr: 257, count: 4, errors: 1,
                         errnos: [.init(errno: "ENOENT", code: 2, count: 1)], totalNs: 8_000, latencyHist: hist([(2_000, 4)])),
        ]
        var sched = SchedStats(contextSwitches: .init(voluntary: 3, involuntary: 2), migrations: 1, wakeups: 4, wakeupsNew: 1,
                               runqueueLatencyHist: hist([(3_000, 4), (70_000, 1)]), runqueueLatencyTotalNs: 82_000,
                               oncpuSliceHist: hist([(1_000_000, 5)]), oncpuTotalNs: 5_000_000)
        sched.cpu = nil
        let memory = MemoryStats(pageFaults: .init(user: 64, kernel: 3), mmap: .init(calls: 1, bytes: 4096),
                                 munmap: .init(calls: 0, bytes: 0), brk: .init(calls: 2, growBytes: 135_168, shrinkBytes: 0),
                                 peakRssBytes: 667_648)
        var r = RunResult(environment: env,
                          workload: WorkloadDescription(spec: "getpid:count=100000", name: "getpid", parameters: ["count": "100000"],
                                                        command: ["/w/getpid", "count=100000"]),
                          repetition: rep, startedAt: Date(timeIntervalSince1970: 1_790_000_000 + Double(rep)), wallNs: wall,
                          cpuUserNs: wall / 3, cpuSystemNs: wall / 2,
                          exit: ExitDescription(kind: "exited", code: 0, signal: nil, description: "exited with status 0"),
                          workloadReport: WorkloadReport(ops: getpid, elapsedNs: wall, nsPerOp: Double(wall) / Double(getpid), extra: [:]),
                          target: TargetDescription(cgroupPath: "/sys/fs/cgroup/isoprobe-1", cgroupId: 42, cgroupLevel: 1),
                          probes: [ProbeStatus(family: "syscalls", attached: true, mode: "tp_btf")], syscalls: syscalls,
                          sched: sched, memory: memory,
                          slowSyscalls: [SlowSyscall(name: "openat", pid: 10, tid: 11, cpu: 1, comm: "getpid", startNs: 5_000_000,
                                                     durationNs: 12_000_000, ret: -2)],
                          setupNs: 1_000, teardownNs: 2_000)
        r.schedEvents = [SchedEvent(kind: "runq_wait", pid: 10, tid: 12, cpu: 0, comm: "getpid", startNs: 6_000_000, durationNs: 2_000_000)]
        return r
    }

    static var document: ResultDocument {
        let host = HostFacts(hostname: "h", kernel: "6.18.0", architecture: "x86_64", cpuModel: "CPU, \"quoted\"", cpus: 2,
                             memoryBytes: 1 << 34, cgroupLayout: "hybrid", clocksource: "tsc")
        let runs = [run("native", rep: 1, wall: 15_000_000), run("container", rep: 1, wall: 30_000_000),
                    run("native", rep: 2, wall: 15_500_000), run("container", rep: 2, wall: 31_000_000),
                    run("vm", rep: 1, wall: 60_000_000)]
        let method = SummaryMethod(repetitions: 2, warmups: 1, order: "interleaved")
        let summary = SummaryReport(method: method, metrics: [
            MetricSummary(workload: "getpid:count=100000", environment: "native", metric: "wall_ns", unit: "ns", n: 2,
                          values: [15e6, 15.5e6], median: 15.25e6, q1: 15.125e6, q3: 15.375e6, ciLow: 15e6, ciHigh: 15.5e6),
            MetricSummary(workload: "getpid:count=100000", environment: "container", metric: "wall_ns", unit: "ns", n: 2,
                          values: [30e6, 31e6], median: 30.5e6, q1: 30.25e6, q3: 30.75e6, ciLow: 30e6, ciHigh: 31e6,
                          vsNative: RatioSummary(ratio: 2, ciLow: 1.9, ciHigh: 2.1, pValue: 0.004, significant: true)),
            MetricSummary(workload: "getpid:count=100000", environment: "vm", metric: "wall_ns", unit: "ns", n: 1,
                          values: [60e6], median: 60e6, q1: 60e6, q3: 60e6, ciLow: 60e6, ciHigh: 60e6,
                          vsNative: RatioSummary(ratio: 3.93, ciLow: 3.5, ciHigh: 4.4, pValue: 0.2, significant: false)),
        ])
        return ResultDocument(host: host, runs: runs, createdAt: Date(timeIntervalSince1970: 1_790_000_000), summary: summary,
                              suite: "fixtures/suites/quick.toml")
    }
}

/// Debian's python3 (with the apt modules the validators come from), or why not.
enum Python {
    static let path = "/usr/bin/python3"
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static func has(_ module: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        return (try? run(["-c", "import \(module)"]).status) == 0
    }

    static func run(_ args: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let inPipe = Pipe()
        p.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try p.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try inPipe.fileHandleForWriting.close()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// In CI a missing validator fails the test; elsewhere the test is skipped.
    static func available(_ module: String, package: String) -> Bool { has(module) || inCI }
    static func require(_ module: String, package: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(has(module), "\(path) cannot import \(module): apt-get install -y \(package) (or `make deps`)",
                     sourceLocation: sourceLocation)
    }
}

enum Repo {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

func temporaryFile(_ stem: String) -> String {
    (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/isoprobe-reports-\(stem)-\(getpid())-\(UUID().uuidString.prefix(8))"
}
