import Foundation
import IsoprobeCore

/// The metrics of a result document as families of samples, the walk the OpenMetrics and the
/// Prometheus text formats share (they differ only in how a family is written): one family
/// per figure, labelled by environment, workload and repetition; log2 histograms as
/// cumulative `_bucket{le=...}` series in seconds with `_sum` and `_count`; the summary's
/// ratios to native as gauges.
public enum MetricExposition {
    public enum Kind: String, Sendable { case gauge, counter, histogram }

    public struct Sample: Sendable, Equatable {
        /// The family's name and what follows it on this line (`_total`, `_bucket`, `_sum`, `_count`, or nothing).
        public var suffix: String
        public var labels: [(String, String)]
        public var value: String

        public static func == (a: Sample, b: Sample) -> Bool {
            a.suffix == b.suffix && a.value == b.value && a.labels.elementsEqual(b.labels) { $0 == $1 }
        }
    }

    /// A family is named without a counter's `_total`; its samples carry it.
    public struct Family: Sendable {
        public var name: String
        public var kind: Kind
        /// Seconds or bytes, when the name ends with it.
        public var unit: String?
        public var help: String
        public var samples: [Sample] = []
    }

    public static func families(_ document: ResultDocument) -> [Family] {
        var families: [Family] = []
        var index: [String: Int] = [:]
        func add(_ name: String, _ kind: Kind, unit: String? = nil, help: String, _ samples: [Sample]) {
            if index[name] == nil {
                index[name] = families.count
                families.append(Family(name: name, kind: kind, unit: unit, help: help))
            }
            families[index[name]!].samples += samples
        }
        func add(_ name: String, _ kind: Kind, unit: String? = nil, help: String, _ samples: Sample...) {
            add(name, kind, unit: unit, help: help, samples)
        }
        let counter = { (labels: [(String, String)], value: UInt64) in Sample(suffix: "_total", labels: labels, value: "\(value)") }
        for r in document.runs {
            let base = [("environment", r.environment), ("workload", r.workload.spec), ("repetition", "\(r.repetition)")]
            add("isoprobe_run_wall_seconds", .gauge, unit: "seconds", help: "Workload wall time.", gauge(base, seconds(r.wallNs)))
            add("isoprobe_run_cpu_seconds", .gauge, unit: "seconds", help: "Workload CPU time by mode.",
                gauge(base + [("mode", "user")], seconds(r.cpuUserNs)), gauge(base + [("mode", "system")], seconds(r.cpuSystemNs)))
            add("isoprobe_run_setup_seconds", .gauge, unit: "seconds", help: "The environment's set-up before the workload.",
                gauge(base, seconds(r.setupNs)))
            if let w = r.workloadReport {
                add("isoprobe_workload_ns_per_op", .gauge, help: "The fixture's own measured nanoseconds per operation.",
                    gauge(base, number(w.nsPerOp)))
            }
            for s in r.syscalls {
                let l = base + [("syscall", s.name)]
                add("isoprobe_syscalls", .counter, help: "System calls made.", counter(l, s.count))
                add("isoprobe_syscall_errors", .counter, help: "System calls that returned an error.", counter(l, s.errors))
                add("isoprobe_syscall_latency_seconds", .histogram, unit: "seconds", help: "System call latency.",
                    histogram(l, s.latencyHist, sumNs: s.totalNs))
            }
            if let s = r.sched {
                add("isoprobe_context_switches", .counter, help: "Context switches of the workload's tasks.",
                    counter(base + [("kind", "voluntary")], s.contextSwitches.voluntary),
                    counter(base + [("kind", "involuntary")], s.contextSwitches.involuntary))
                add("isoprobe_migrations", .counter, help: "CPU migrations of the workload's tasks.", counter(base, s.migrations))
                add("isoprobe_runqueue_latency_seconds", .histogram, unit: "seconds", help: "Time runnable tasks waited for a CPU.",
                    histogram(base, s.runqueueLatencyHist, sumNs: s.runqueueLatencyTotalNs))
                add("isoprobe_oncpu_slice_seconds", .histogram, unit: "seconds", help: "Length of on-CPU slices.",
                    histogram(base, s.oncpuSliceHist, sumNs: s.oncpuTotalNs))
            }
            if let m = r.memory {
                add("isoprobe_page_faults", .counter, help: "Page faults by mode.",
                    counter(base + [("mode", "user")], m.pageFaults.user), counter(base + [("mode", "kernel")], m.pageFaults.kernel))
                add("isoprobe_peak_rss_bytes", .gauge, unit: "bytes", help: "Largest resident set of the workload's address spaces.",
                    gauge(base, "\(m.peakRssBytes)"))
            }
        }
        if let summary = document.summary {
            for m in summary.metrics {
                guard let r = m.vsNative else { continue }
                let l = [("environment", m.environment), ("workload", m.workload), ("metric", m.metric)]
                for (bound, v) in [("median", r.ratio), ("ci_low", r.ciLow), ("ci_high", r.ciHigh)] {
                    add("isoprobe_overhead_ratio", .gauge, help: "Median against native's median, with the bootstrap interval's bounds.",
                        gauge(l + [("bound", bound)], number(v)))
                }
            }
        }
        return families
    }

    static func gauge(_ labels: [(String, String)], _ value: String) -> Sample { Sample(suffix: "", labels: labels, value: value) }

    /// Cumulative buckets over the histogram's span (upper bound of each log2 slot, in
    /// seconds), then +Inf, _count and _sum.
    static func histogram(_ labels: [(String, String)], _ h: Log2Histogram, sumNs: UInt64) -> [Sample] {
        var samples: [Sample] = []
        var cumulative: UInt64 = 0
        if let span = h.span {
            for i in 0...span.upperBound {
                cumulative += h.slots[i]
                guard i >= span.lowerBound else { continue }
                let le = number(Double(Log2Histogram.bounds(ofSlot: i).hi) / 1e9)
                samples.append(Sample(suffix: "_bucket", labels: labels + [("le", le)], value: "\(cumulative)"))
            }
        }
        samples.append(Sample(suffix: "_bucket", labels: labels + [("le", "+Inf")], value: "\(h.count)"))
        samples.append(Sample(suffix: "_count", labels: labels, value: "\(h.count)"))
        samples.append(Sample(suffix: "_sum", labels: labels, value: seconds(sumNs)))
        return samples
    }

    /// One sample line: `name{label="value",...} value`.
    static func line(_ family: Family, _ s: Sample) -> String {
        family.name + s.suffix + "{" + s.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "} " + s.value
    }

    static func seconds(_ ns: UInt64) -> String { number(Double(ns) / 1e9) }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return "\(v)"
    }

    /// Label values, in both formats: backslash, double quote and newline escaped.
    public static func escapeLabel(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
