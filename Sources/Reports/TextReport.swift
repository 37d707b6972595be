import Foundation
import IsoprobeCore

/// The terminal report, answer first: the ratio of each workload's primary metric to
/// native with a verdict (`AnswerTable`), the findings, the key figures, and one line per
/// environment and workload with its set-up and tear-down times. With `detail`, the
/// side-by-side tables and per run the top syscalls, bcc-style histograms, scheduling and
/// memory follow (the Markdown, HTML and JSON always have them).
public struct TextReport {
    public var topSyscalls = 15
    public var histogramsFor = 3
    /// Findings listed without `detail`; the rest are counted.
    public var findingsShown = 10
    /// ANSI colour; the CLI sets it only when standard output is a terminal and NO_COLOR is unset.
    public var colour = false
    /// The side-by-side tables and each run's syscalls, histograms, scheduling and memory (`--detail`).
    public var detail = false

    public init(colour: Bool = false, detail: Bool = false) {
        self.colour = colour
        self.detail = detail
    }

    public static var colourWanted: Bool {
        isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    public func render(_ document: ResultDocument) -> String {
        var out = "isoprobe \(document.isoprobeVersion) on \(document.host.hostname): kernel \(document.host.kernel), "
            + "\(document.host.cpus) CPUs (\(document.host.cpuModel)), cgroup \(document.host.cgroupLayout)\n"
        if let environments = HostSummary.environmentsLine(document.host) { out += environments + "\n" }
        if let summary = document.summary, !summary.metrics.isEmpty {
            let answer = AnswerTable.text(summary, colour: colour, findingsShown: detail ? nil : findingsShown)
            if !answer.isEmpty { out += "\n" + answer }
            let hostNetwork = HostNetworkTable.text(summary)
            if !hostNetwork.isEmpty { out += "\n" + hostNetwork }
        }
        let notes = StorageNote.lines(document.runs) + NetworkNote.lines(document.runs) + ProbeNote.lines(document.runs)
        if !notes.isEmpty { out += "\n" + notes.map { "note: \($0)\n" }.joined() }
        let blockPaths = StorageNote.blockPaths(document.runs)
        if !blockPaths.isEmpty { out += "\nblock path:\n" + blockPaths.map { "  \($0)\n" }.joined() }
        if let summary = document.summary, !summary.metrics.isEmpty {
            out += "\n" + SummaryTable.text(summary, colour: colour)
        }
        out += "\n" + runsTable(RunGroups.of(document.runs))
        guard detail else {
            return out + "\nper-syscall tables, histograms, scheduling and the side-by-side tables: --detail "
                + "(always in the Markdown, HTML and JSON)\n"
        }
        let comparisons = Comparison.build(document.runs)
        if !comparisons.isEmpty {
            out += "\nside by side (median of repetitions; ratio to \(comparisons[0].environments[0]), "
                + "set-up and tear-down as the difference in time):\n"
            for c in comparisons { out += "\n" + c.render() }
        }
        for group in RunGroups.of(document.runs) { out += "\n" + renderGroup(group.runs) }
        return out
    }

    /// One line per environment and workload: how its runs ended, and the median time the
    /// environment took to set up and tear down, as times (a ratio to native's near-nothing
    /// says nothing).
    func runsTable(_ groups: [RunGroups]) -> String {
        var table = Table(["environment", "workload", "runs", "exit", "set-up (median)", "tear-down (median)"])
        for group in groups {
            let failed = group.runs.filter { !$0.exit.succeeded }
            func median(_ value: (RunResult) -> UInt64) -> String {
                Statistics.median(group.runs.map { Double(value($0)) }).map { Format.duration(ns: $0) } ?? "-"
            }
            table.add([group.runs[0].environment, group.runs[0].workload.spec, String(group.runs.count),
                       failed.isEmpty ? "ok" : "\(failed.count) failed: \(failed[0].exit.explained)",
                       median(\.setupNs), median(\.teardownNs)])
        }
        return "runs:\n" + table.render()
    }

    /// One environment × workload: the repetition with the median wall time in detail.
    func renderGroup(_ runs: [RunResult]) -> String {
        let sorted = runs.sorted { $0.wallNs < $1.wallNs }
        let run = sorted[sorted.count / 2]
        var out = (colour ? "\u{1B}[1m" : "") + "== \(run.environment): \(run.workload.spec)" + (colour ? "\u{1B}[0m" : "")
        out += runs.count > 1 ? " (\(runs.count) repetitions, median shown)\n" : "\n"
        out += "  exit: \(run.exit.description); wall \(Format.duration(ns: run.wallNs)), "
            + "user \(Format.duration(ns: run.cpuUserNs)), system \(Format.duration(ns: run.cpuSystemNs))\n"
        if runs.count > 1 {
            out += "  wall over repetitions: min \(Format.duration(ns: sorted.first!.wallNs)), "
                + "median \(Format.duration(ns: run.wallNs)), max \(Format.duration(ns: sorted.last!.wallNs))\n"
        }
        if let r = run.workloadReport {
            let extra = r.extra.filter { $0.key != "name" }.sorted { $0.key < $1.key }
            out += "  workload: \(r.ops) ops in \(Format.duration(ns: r.elapsedNs)), "
                + String(format: "%.1f ns/op", r.nsPerOp)
                + (extra.isEmpty ? "" : " (" + extra.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")") + "\n"
        }
        if let d = run.details {
            if let rt = d.runtime { out += "  runtime: \(rt.name) (\(rt.version))\n" }
            if let accel = d.accelerator {
                out += "  guest: kernel \(d.guestKernel ?? "unknown"), accelerator \(accel)"
                if let clock = d.guestClocksource { out += ", clocksource \(clock)" }
                if let mode = d.guestMode {
                    out += mode == "fresh" ? ", a fresh guest for this run" : ", one guest serving every run"
                }
                if let boot = d.bootNs { out += ", ready \(Format.duration(ns: boot)) after QEMU started" }
                out += accel == "tcg" ? " (emulated: not representative of KVM overhead)\n" : "\n"
                if let log = d.guestLog { out += "  guest console: \(log)\n" }
            }
            if let l = d.limits {
                out += "  limits: " + [l.cpus.map { "cpus \($0)" }, l.memoryBytes.map { "memory \(Format.bytes(UInt64($0)))" },
                                       l.pids.map { "pids \($0)" }].compactMap { $0 }.joined(separator: ", ") + "\n"
            }
            if let e = d.limitEvents, e.oomKills + e.pidsLimitHits > 0 {
                out += "  limit events: \(e.oomKills) OOM kills, \(e.pidsLimitHits) forks refused with EAGAIN\n"
            }
        }
        if let path = run.network?.path { out += "  network path: \(path.summary)\n" }
        if let figures = NetworkNote.figures(run) { out += "  network: \(figures)\n" }
        out += "  environment: set-up \(Format.duration(ns: run.setupNs)), tear-down \(Format.duration(ns: run.teardownNs))\n"
        out += "  probes: " + run.probes.map { "\($0.family) \($0.attached ? $0.mode : "not attached")" }
            .joined(separator: ", ") + "\n"
        out += syscallSection(run)
        out += schedSection(run)
        out += memorySection(run)
        out += StorageNote.blockLayerSection(run)
        out += hostViewSection(run)
        return out
    }

    func syscallSection(_ run: RunResult) -> String {
        guard !run.syscalls.isEmpty else { return "" }
        var out = "\n  syscalls: \(run.totalSyscalls) in \(run.syscalls.count) kinds\n"
        var table = Table(["syscall", "count", "errors", "total", "mean", "p50", "p99"])
        for s in run.syscalls.prefix(topSyscalls) {
            table.add([s.name, String(s.count), String(s.errors), Format.duration(ns: s.totalNs),
                       Format.duration(ns: s.meanNs),
                       s.latencyHist.quantile(0.5).map { Format.duration(ns: $0) } ?? "-",
                       s.latencyHist.quantile(0.99).map { Format.duration(ns: $0) } ?? "-"])
        }
        out += table.render()
        if run.syscalls.count > topSyscalls {
            out += "  ... and \(run.syscalls.count - topSyscalls) more kinds (see --json)\n"
        }
        // The kernel's own codes (ERESTARTSYS: the call was restarted) on a line of their own:
        // the program never got them.
        func listed(kernelInternal: Bool) -> String? {
            let rows = run.syscalls.compactMap { s -> String? in
                let codes = s.errnos.filter { ErrnoNames.isKernelInternal($0.code) == kernelInternal }
                return codes.isEmpty ? nil : "\(s.name) " + codes.map { e in
                    "\(ErrnoNames.name(e.code))x\(e.count)" + (ErrnoNames.note(e.code).map { " (\($0))" } ?? "")
                }.joined(separator: " ")
            }
            return rows.isEmpty ? nil : rows.prefix(8).joined(separator: "; ")
        }
        if let errors = listed(kernelInternal: false) { out += "  errors: \(errors)\n" }
        if let codes = listed(kernelInternal: true) { out += "  kernel-internal codes, not errors the program got: \(codes)\n" }
        for s in run.syscalls.sorted(by: { $0.totalNs > $1.totalNs }).prefix(histogramsFor) {
            out += "\n  \(s.name) latency:\n" + HistogramPrinter.render(s.latencyHist, label: "nsecs")
        }
        return out
    }

    func schedSection(_ run: RunResult) -> String {
        guard let s = run.sched else { return "" }
        var out = "\n  scheduling: \(s.contextSwitches.voluntary) voluntary + \(s.contextSwitches.involuntary) "
            + "involuntary context switches, \(s.migrations) migrations, \(s.wakeups) wakeups "
            + "(\(s.wakeupsNew) new tasks)\n"
        if !s.runqueueLatencyHist.isEmpty {
            out += "\n  run-queue latency:\n" + HistogramPrinter.render(s.runqueueLatencyHist, label: "nsecs")
        }
        if !s.oncpuSliceHist.isEmpty {
            out += "\n  on-CPU slices:\n" + HistogramPrinter.render(s.oncpuSliceHist, label: "nsecs")
        }
        return out
    }

    /// The VMM's side of a guest run, from the host's probes on QEMU's cgroup.
    func hostViewSection(_ run: RunResult) -> String {
        guard let h = run.hostView else { return "" }
        var out = "\n  host view (QEMU, \(h.target.cgroupPath)): \(h.totalSyscalls) syscalls in \(h.syscalls.count) kinds"
        if let s = h.sched {
            out += ", \(s.contextSwitches.total) context switches"
            if let cpu = s.cpu { out += ", \(Format.duration(ns: cpu.runtimeNs)) CPU" }
        }
        out += "\n"
        var table = Table(["VMM syscall", "count", "errors", "total", "mean"])
        for s in h.syscalls.prefix(8) {
            table.add([s.name, String(s.count), String(s.errors), Format.duration(ns: s.totalNs), Format.duration(ns: s.meanNs)])
        }
        out += table.render()
        if let s = h.sched, !s.runqueueLatencyHist.isEmpty {
            out += "\n  VMM threads' run-queue latency:\n" + HistogramPrinter.render(s.runqueueLatencyHist, label: "nsecs")
        }
        if let k = h.kvm {
            out += "\n  KVM exits: \(k.exits) (\(k.portIO) port I/O)\n"
            if let note = k.note { out += "  \(note)\n" }
            var table = Table(["exit reason", "count", "total", "mean handling"])
            for r in k.reasons.prefix(10) {
                table.add([r.name, String(r.count), Format.duration(ns: r.totalNs),
                           Format.duration(ns: r.count > 0 ? Double(r.totalNs) / Double(r.count) : 0)])
            }
            if !k.reasons.isEmpty { out += table.render() }
        }
        return out
    }

    func memorySection(_ run: RunResult) -> String {
        guard let m = run.memory else { return "" }
        var out = "\n  memory: \(m.pageFaults.user) user + \(m.pageFaults.kernel) kernel page faults, "
            + "peak RSS \(Format.bytes(m.peakRssBytes))\n"
        if let mmap = m.mmap, let munmap = m.munmap, let brk = m.brk {
            out += "  mmap \(mmap.calls) calls \(Format.bytes(mmap.bytes)), munmap \(munmap.calls) calls "
                + "\(Format.bytes(munmap.bytes)), brk \(brk.calls) calls +\(Format.bytes(brk.growBytes))"
                + " -\(Format.bytes(brk.shrinkBytes))\n"
        }
        return out
    }
}
