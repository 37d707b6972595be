/// A figure of a run that reports summarise and `compare` judges: the one registry every
/// format reads (the summary, compare, the side-by-side table, text, Markdown, HTML, CSV,
/// and OpenMetrics' ratios). A metric added later needs one entry here.
public struct MetricDefinition: Sendable {
    /// The JSON and CSV name, e.g. `wall_ns`.
    public var name: String
    /// `ns`, `ns/op`, `bytes`, `count`, `IO/s` or `MB/s`.
    public var unit: String
    /// The side-by-side table's words.
    public var label: String
    public var lowerIsBetter: Bool
    /// Worth failing a CI gate on. Scheduler placement (migrations, preemptions, run-queue
    /// waits) and set-up time swing with whatever else the machine runs: they are shown,
    /// not gated on.
    public var gating: Bool
    /// Where a report shows it beyond the JSON and CSV, which carry every metric.
    public var shown: Shown
    public var value: @Sendable (RunResult) -> Double?

    public struct Shown: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// A row of the side-by-side table (`native vs container vs vm`).
        public static let sideBySide = Shown(rawValue: 1)
        /// A row of the summary every report leads with (median, IQR, ratio to native).
        public static let summary = Shown(rawValue: 2)
        /// A ratio in the HTML report's plot.
        public static let plot = Shown(rawValue: 4)
    }

    /// The summary table's shorter words (`label` where nil).
    public var summaryLabel: String?
    /// Shown as an absolute figure, never as a ratio to native: native's set-up is next to
    /// nothing, so a ratio to it ("23060x") says nothing a reader can use. The JSON still
    /// carries the ratio.
    public var absolute: Bool

    /// A difference smaller than this, in the metric's unit, is never called significant:
    /// below it a change is the measurement's grain (a few pages of RSS, a scheduler tick of
    /// CPU time), not the system's. nil: no floor.
    public var floor: Double?

    public init(_ name: String, unit: String, label: String, summaryLabel: String? = nil, lowerIsBetter: Bool = true,
                gating: Bool, shown: Shown = .sideBySide, absolute: Bool = false, floor: Double? = nil,
                value: @escaping @Sendable (RunResult) -> Double?) {
        self.floor = floor
        self.name = name
        self.unit = unit
        self.label = label
        self.summaryLabel = summaryLabel
        self.lowerIsBetter = lowerIsBetter
        self.gating = gating
        self.shown = shown
        self.absolute = absolute
        self.value = value
    }

    /// A workload's primary metric, by preference: a network workload's own headline
    /// (`NetworkWorkload.primaryMetric`: throughput, else transactions per second), a block
    /// workload's IOPS (as the storage studies answer), membw's triad GB/s (STREAM's headline
    /// figure), ns per op where a fixture reports it, else wall time (commands). The answer
    /// table's verdicts are on it.
    public static let primaryChoices = ["net_throughput_bps", "net_transactions_per_sec", "block_iops", "membw_triad_gb_per_s",
                                        "workload_ns_per_op", "wall_ns"]

    /// The primary metric among those a workload has (`primaryChoices`' first present).
    public static func primary(among names: some Sequence<String>) -> String? {
        let present = Set(names)
        return primaryChoices.first(where: present.contains)
    }

    /// The metrics a precision target applies to: the primary one, wall time and CPU time.
    public static let judgedByPrecision: Set<String> = Set(primaryChoices + ["cpu_ns"])

    /// The metrics a view shows, in registry order.
    public static func shown(in view: Shown) -> [MetricDefinition] { all.filter { $0.shown.contains(view) } }

    public static let all: [MetricDefinition] = [
        .init("wall_ns", unit: "ns", label: "wall time", gating: true, shown: [.sideBySide, .summary, .plot]) {
            Double($0.wallNs)
        },
        .init("workload_ns_per_op", unit: "ns/op", label: "ns per operation", summaryLabel: "ns per op", gating: true,
              shown: [.sideBySide, .summary, .plot]) { $0.workloadReport?.nsPerOp },
        .init("block_iops", unit: "IO/s", label: "block IOPS", summaryLabel: "IOPS", lowerIsBetter: false, gating: true,
              shown: [.sideBySide, .summary, .plot]) { $0.blockIo?.iops },
        .init("block_mb_per_s", unit: "MB/s", label: "block bandwidth", lowerIsBetter: false, gating: false) {
            $0.blockIo?.mbPerS
        },
        .init("block_latency_p50_ns", unit: "ns", label: "block completion p50", summaryLabel: "I/O p50", gating: true,
              shown: [.sideBySide, .summary]) { $0.blockIo.map { Double($0.latencyP50Ns) } },
        .init("block_latency_p99_ns", unit: "ns", label: "block completion p99", gating: false) {
            $0.blockIo.map { Double($0.latencyP99Ns) }
        },
        .init("block_latency_p999_ns", unit: "ns", label: "block completion p99.9", gating: false) {
            $0.blockIo.map { Double($0.latencyP999Ns) }
        },
        .init("block_vmm_cpu_per_io_ns", unit: "ns", label: "VMM CPU per I/O", gating: false, absolute: true) {
            $0.blockIo?.vmm?.cpuPerIoNs
        },
        .init("membw_triad_gb_per_s", unit: "GB/s", label: "STREAM triad", summaryLabel: "triad", lowerIsBetter: false,
              gating: true, shown: [.sideBySide, .summary, .plot]) { $0.memoryBandwidth?.triadGbPerS },
        .init("membw_copy_gb_per_s", unit: "GB/s", label: "STREAM copy", lowerIsBetter: false, gating: false) {
            $0.memoryBandwidth?.copyGbPerS
        },
        .init("memlat_largest_ns", unit: "ns", label: "load latency, largest set", summaryLabel: "load latency",
              gating: false, shown: [.sideBySide, .summary]) { $0.memoryLatency?.largestNs },
        .init("cpu_user_ns", unit: "ns", label: "user CPU", gating: false, shown: []) { Double($0.cpuUserNs) },
        .init("cpu_system_ns", unit: "ns", label: "system CPU", gating: false, shown: []) { Double($0.cpuSystemNs) },
        .init("cpu_ns", unit: "ns", label: "CPU time", gating: true, shown: [.sideBySide, .summary], floor: 1_000_000) {
            Double($0.cpuUserNs + $0.cpuSystemNs)
        },
        .init("setup_ns", unit: "ns", label: "environment set-up", gating: false, absolute: true) { r in
            r.setupNs > 0 ? Double(r.setupNs) : nil
        },
        .init("footprint_bytes", unit: "bytes", label: "footprint per instance", summaryLabel: "footprint", gating: false,
              shown: [.sideBySide, .summary], absolute: true) { r in r.footprint?.totalBytes.map { Double($0) } },
        .init("teardown_ns", unit: "ns", label: "environment tear-down", gating: false, absolute: true) { Double($0.teardownNs) },
        .init("syscalls", unit: "count", label: "syscalls", gating: true) { r in
            r.probes.contains { $0.family == "syscalls" && $0.attached } ? Double(r.totalSyscalls) : nil
        },
        .init("syscall_ns_total", unit: "ns", label: "syscall time", gating: false) { r in
            r.syscalls.isEmpty ? nil : Double(r.syscalls.reduce(0) { $0 + $1.totalNs })
        },
        .init("syscall_ns_mean", unit: "ns", label: "mean syscall latency", summaryLabel: "mean syscall", gating: true,
              shown: [.sideBySide, .summary]) { r in
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
        .init("page_faults_user", unit: "count", label: "user page faults", summaryLabel: "page faults", gating: true,
              shown: [.sideBySide, .summary]) {
            $0.memory.map { Double($0.pageFaults.user) }
        },
        .init("page_faults_kernel", unit: "count", label: "kernel page faults", gating: false) {
            $0.memory.map { Double($0.pageFaults.kernel) }
        },
        .init("peak_rss_bytes", unit: "bytes", label: "peak RSS", gating: true, floor: 256 * 1024) { r in
            r.memory.flatMap { $0.peakRssBytes > 0 ? Double($0.peakRssBytes) : nil }
        },
    ] + network

    public static func named(_ name: String) -> MetricDefinition? { all.first { $0.name == name } }

    /// The network workloads' figures, from their result line (fixtures/workloads/README):
    /// transactions per second and throughput gate `compare`, as does the median latency;
    /// the tail percentiles swing with whatever else the machine runs and are shown only.
    static let network: [MetricDefinition] = [
        .init("net_transactions_per_sec", unit: "1/s", label: "transactions per second", summaryLabel: "transactions/s",
              lowerIsBetter: false, gating: true, shown: [.sideBySide, .summary, .plot]) { $0.workloadFigure("transactions_per_sec") },
        .init("net_latency_p50_ns", unit: "ns", label: "latency p50", gating: true, shown: [.sideBySide, .summary]) {
            $0.workloadFigure("p50_ns")
        },
        .init("net_latency_p99_ns", unit: "ns", label: "latency p99", gating: false) { $0.workloadFigure("p99_ns") },
        .init("net_latency_p999_ns", unit: "ns", label: "latency p99.9", gating: false) { $0.workloadFigure("p999_ns") },
        .init("net_throughput_bps", unit: "bit/s", label: "throughput", lowerIsBetter: false, gating: true,
              shown: [.sideBySide, .summary, .plot]) { $0.workloadFigure("throughput_bps") },
        // The host's view of a guest's network: QEMU's on-CPU time per transaction, and per
        // megabyte moved for streams. Not gating: under TCG it is mostly the emulated vCPUs'
        // time, which swings with how the host schedules them. Guests only: in the summary.
        .init("vmm_cpu_per_transaction_ns", unit: "ns", label: "VMM CPU per transaction", gating: false, shown: [.summary]) {
            $0.network?.vmmCpuPerTransactionNs
        },
        .init("vmm_cpu_per_mb_ns", unit: "ns", label: "VMM CPU per MB moved", gating: false, shown: [.summary]) {
            $0.network?.vmmCpuPerMegabyteNs
        },
    ]
}
