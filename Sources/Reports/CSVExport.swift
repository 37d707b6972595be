import Foundation
import IsoprobeCore

/// One row per run and metric (RFC 4180), for spreadsheets and pandas.
public enum CSVExport {
    public static let header = ["run", "environment", "workload", "repetition", "started_at", "exit", "metric", "unit", "value"]

    /// Every figure of a run as (metric, unit, value).
    public static func metrics(of r: RunResult) -> [(String, String, String)] {
        var out: [(String, String, String)] = [
            ("wall_ns", "ns", "\(r.wallNs)"), ("cpu_user_ns", "ns", "\(r.cpuUserNs)"),
            ("cpu_system_ns", "ns", "\(r.cpuSystemNs)"), ("setup_ns", "ns", "\(r.setupNs)"),
            ("teardown_ns", "ns", "\(r.teardownNs)"),
        ]
        if let w = r.workloadReport {
            out.append(("workload_ops", "count", "\(w.ops)"))
            out.append(("workload_ns_per_op", "ns/op", String(format: "%.4f", w.nsPerOp)))
        }
        if !r.syscalls.isEmpty { out.append(("syscalls", "count", "\(r.totalSyscalls)")) }
        for s in r.syscalls {
            out.append(("syscall:\(s.name):count", "count", "\(s.count)"))
            out.append(("syscall:\(s.name):errors", "count", "\(s.errors)"))
            out.append(("syscall:\(s.name):total_ns", "ns", "\(s.totalNs)"))
        }
        if let s = r.sched {
            out += [("context_switches_voluntary", "count", "\(s.contextSwitches.voluntary)"),
                    ("context_switches_involuntary", "count", "\(s.contextSwitches.involuntary)"),
                    ("migrations", "count", "\(s.migrations)"), ("wakeups", "count", "\(s.wakeups)"),
                    ("runqueue_latency_ns_total", "ns", "\(s.runqueueLatencyTotalNs)"),
                    ("runqueue_waits", "count", "\(s.runqueueLatencyHist.count)")]
        }
        if let m = r.memory {
            out += [("page_faults_user", "count", "\(m.pageFaults.user)"), ("page_faults_kernel", "count", "\(m.pageFaults.kernel)"),
                    ("peak_rss_bytes", "bytes", "\(m.peakRssBytes)"), ("oom_kills", "count", "\(m.oomKills)")]
        }
        return out
    }

    public static func render(_ document: ResultDocument) -> String {
        var out = header.joined(separator: ",") + "\r\n"
        let dates = ISO8601DateFormatter()
        for (i, r) in document.runs.enumerated() {
            let fixed = ["\(i + 1)", r.environment, r.workload.spec, "\(r.repetition)", dates.string(from: r.startedAt), r.exit.kind]
            for (metric, unit, value) in metrics(of: r) {
                out += (fixed + [metric, unit, value]).map(field).joined(separator: ",") + "\r\n"
            }
        }
        return out
    }

    /// Quoted when it holds a comma, quote or line break; quotes doubled.
    public static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
