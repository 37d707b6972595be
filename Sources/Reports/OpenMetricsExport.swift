import Foundation
import IsoprobeCore

/// OpenMetrics text exposition: one family per figure, labelled by environment, workload
/// and repetition; log2 histograms as cumulative `_bucket{le=...}` series in seconds with
/// `_sum` and `_count`; the summary's ratios to native as gauges. Ends with `# EOF`.
public enum OpenMetricsExport {
    struct Family {
        var name: String
        var type: String
        var unit: String?
        var help: String
        var lines: [String] = []
    }

    public static func render(_ document: ResultDocument) -> String {
        var families: [String: Family] = [:]
        var order: [String] = []
        func add(_ name: String, _ type: String, unit: String?, help: String, _ lines: [String]) {
            if families[name] == nil {
                families[name] = Family(name: name, type: type, unit: unit, help: help)
                order.append(name)
            }
            families[name]!.lines += lines
        }
        func add(_ name: String, _ type: String, unit: String?, help: String, _ lines: String...) {
            add(name, type, unit: unit, help: help, lines)
        }
        for r in document.runs {
            let base = [("environment", r.environment), ("workload", r.workload.spec), ("repetition", "\(r.repetition)")]
            add("isoprobe_run_wall_seconds", "gauge", unit: "seconds", help: "Workload wall time.",
                sample("isoprobe_run_wall_seconds", base, seconds(r.wallNs)))
            add("isoprobe_run_cpu_seconds", "gauge", unit: "seconds", help: "Workload CPU time by mode.",
                sample("isoprobe_run_cpu_seconds", base + [("mode", "user")], seconds(r.cpuUserNs)),
                sample("isoprobe_run_cpu_seconds", base + [("mode", "system")], seconds(r.cpuSystemNs)))
            add("isoprobe_run_setup_seconds", "gauge", unit: "seconds", help: "The environment's set-up before the workload.",
                sample("isoprobe_run_setup_seconds", base, seconds(r.setupNs)))
            if let w = r.workloadReport {
                add("isoprobe_workload_ns_per_op", "gauge", unit: nil, help: "The fixture's own measured nanoseconds per operation.",
                    sample("isoprobe_workload_ns_per_op", base, number(w.nsPerOp)))
            }
            for s in r.syscalls {
                let l = base + [("syscall", s.name)]
                add("isoprobe_syscalls", "counter", unit: nil, help: "System calls made.", sample("isoprobe_syscalls_total", l, "\(s.count)"))
                add("isoprobe_syscall_errors", "counter", unit: nil, help: "System calls that returned an error.",
                    sample("isoprobe_syscall_errors_total", l, "\(s.errors)"))
                add("isoprobe_syscall_latency_seconds", "histogram", unit: "seconds", help: "System call latency.",
                    histogram("isoprobe_syscall_latency_seconds", l, s.latencyHist, sumNs: s.totalNs))
            }
            if let s = r.sched {
                add("isoprobe_context_switches", "counter", unit: nil, help: "Context switches of the workload's tasks.",
                    sample("isoprobe_context_switches_total", base + [("kind", "voluntary")], "\(s.contextSwitches.voluntary)"),
                    sample("isoprobe_context_switches_total", base + [("kind", "involuntary")], "\(s.contextSwitches.involuntary)"))
                add("isoprobe_migrations", "counter", unit: nil, help: "CPU migrations of the workload's tasks.",
                    sample("isoprobe_migrations_total", base, "\(s.migrations)"))
                add("isoprobe_runqueue_latency_seconds", "histogram", unit: "seconds", help: "Time runnable tasks waited for a CPU.",
                    histogram("isoprobe_runqueue_latency_seconds", base, s.runqueueLatencyHist, sumNs: s.runqueueLatencyTotalNs))
                add("isoprobe_oncpu_slice_seconds", "histogram", unit: "seconds", help: "Length of on-CPU slices.",
                    histogram("isoprobe_oncpu_slice_seconds", base, s.oncpuSliceHist, sumNs: s.oncpuTotalNs))
            }
            if let m = r.memory {
                add("isoprobe_page_faults", "counter", unit: nil, help: "Page faults by mode.",
                    sample("isoprobe_page_faults_total", base + [("mode", "user")], "\(m.pageFaults.user)"),
                    sample("isoprobe_page_faults_total", base + [("mode", "kernel")], "\(m.pageFaults.kernel)"))
                add("isoprobe_peak_rss_bytes", "gauge", unit: "bytes", help: "Largest resident set of the workload's address spaces.",
                    sample("isoprobe_peak_rss_bytes", base, "\(m.peakRssBytes)"))
            }
        }
        if let summary = document.summary {
            for m in summary.metrics {
                guard let r = m.vsNative else { continue }
                let l = [("environment", m.environment), ("workload", m.workload), ("metric", m.metric)]
                for (bound, v) in [("median", r.ratio), ("ci_low", r.ciLow), ("ci_high", r.ciHigh)] {
                    add("isoprobe_overhead_ratio", "gauge", unit: nil,
                        help: "Median against native's median, with the bootstrap interval's bounds.",
                        sample("isoprobe_overhead_ratio", l + [("bound", bound)], number(v)))
                }
            }
        }
        var out = ""
        for name in order {
            let f = families[name]!
            out += "# TYPE \(f.name) \(f.type)\n"
            if let unit = f.unit { out += "# UNIT \(f.name) \(unit)\n" }
            out += "# HELP \(f.name) \(f.help)\n"
            out += f.lines.joined(separator: "\n") + "\n"
        }
        return out + "# EOF\n"
    }

    /// Cumulative buckets over the histogram's span (upper bound of each log2 slot, in
    /// seconds), then +Inf, _count and _sum.
    static func histogram(_ name: String, _ labels: [(String, String)], _ h: Log2Histogram, sumNs: UInt64) -> [String] {
        var lines: [String] = []
        var cumulative: UInt64 = 0
        if let span = h.span {
            for i in 0...span.upperBound {
                cumulative += h.slots[i]
                guard i >= span.lowerBound else { continue }
                let le = number(Double(Log2Histogram.bounds(ofSlot: i).hi) / 1e9)
                lines.append(sample(name + "_bucket", labels + [("le", le)], "\(cumulative)"))
            }
        }
        lines.append(sample(name + "_bucket", labels + [("le", "+Inf")], "\(h.count)"))
        lines.append(sample(name + "_count", labels, "\(h.count)"))
        lines.append(sample(name + "_sum", labels, number(seconds(sumNs))))
        return lines
    }

    static func sample(_ name: String, _ labels: [(String, String)], _ value: String) -> String {
        name + "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "} " + value
    }

    static func seconds(_ ns: UInt64) -> String { number(Double(ns) / 1e9) }
    static func seconds(_ ns: UInt64) -> Double { Double(ns) / 1e9 }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return "\(v)"
    }

    /// Label values: backslash, double quote and newline escaped.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
