/// A figure of a run that reports summarise and `compare` judges.
public struct MetricDefinition: Sendable {
    public var name: String
    public var unit: String
    public var label: String
    public var lowerIsBetter: Bool
    /// Worth failing a CI gate on. Scheduler placement (migrations, preemptions, run-queue
    /// waits) and set-up time swing with whatever else the machine runs: they are shown,
    /// not gated on.
    public var gating: Bool
    public var value: @Sendable (RunResult) -> Double?

    public init(_ name: String, unit: String, label: String, lowerIsBetter: Bool = true, gating: Bool,
                value: @escaping @Sendable (RunResult) -> Double?) {
        self.name = name
        self.unit = unit
        self.label = label
        self.lowerIsBetter = lowerIsBetter
        self.gating = gating
        self.value = value
    }

    public static let all: [MetricDefinition] = [
        .init("wall_ns", unit: "ns", label: "wall time", gating: true) { Double($0.wallNs) },
        .init("cpu_user_ns", unit: "ns", label: "user CPU", gating: false) { Double($0.cpuUserNs) },
        .init("cpu_system_ns", unit: "ns", label: "system CPU", gating: false) { Double($0.cpuSystemNs) },
        .init("cpu_ns", unit: "ns", label: "CPU time", gating: true) { Double($0.cpuUserNs + $0.cpuSystemNs) },
        .init("workload_ns_per_op", unit: "ns/op", label: "ns per operation", gating: true) { $0.workloadReport?.nsPerOp },
        .init("syscalls", unit: "count", label: "syscalls", gating: true) { r in
            r.probes.contains { $0.family == "syscalls" && $0.attached } ? Double(r.totalSyscalls) : nil
        },
        .init("syscall_ns_mean", unit: "ns", label: "mean syscall latency", gating: true) { r in
            let n = r.totalSyscalls
            return n > 0 ? Double(r.syscalls.reduce(0) { $0 + $1.totalNs }) / Double(n) : nil
        },
        .init("context_switches_voluntary", unit: "count", label: "voluntary switches", gating: false) {
            $0.sched.map { Double($0.contextSwitches.voluntary) }
        },
        .init("context_switches_involuntary", unit: "count", label: "involuntary switches", gating: false) {
            $0.sched.map { Double($0.contextSwitches.involuntary) }
        },
        .init("runqueue_latency_ns_mean", unit: "ns", label: "mean run-queue wait", gating: false) { r in
            guard let s = r.sched, s.runqueueLatencyHist.count > 0 else { return nil }
            return Double(s.runqueueLatencyTotalNs) / Double(s.runqueueLatencyHist.count)
        },
        .init("migrations", unit: "count", label: "migrations", gating: false) { $0.sched.map { Double($0.migrations) } },
        .init("page_faults_user", unit: "count", label: "user page faults", gating: true) {
            $0.memory.map { Double($0.pageFaults.user) }
        },
        .init("page_faults_kernel", unit: "count", label: "kernel page faults", gating: false) {
            $0.memory.map { Double($0.pageFaults.kernel) }
        },
        .init("peak_rss_bytes", unit: "bytes", label: "peak RSS", gating: true) { r in
            r.memory.flatMap { $0.peakRssBytes > 0 ? Double($0.peakRssBytes) : nil }
        },
        .init("setup_ns", unit: "ns", label: "environment set-up", gating: false) { r in
            r.setupNs > 0 ? Double(r.setupNs) : nil
        },
    ]

    public static func named(_ name: String) -> MetricDefinition? { all.first { $0.name == name } }
}
