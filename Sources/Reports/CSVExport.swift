import Foundation
import IsoprobeCore

/// One row per run and metric (RFC 4180), for spreadsheets and pandas.
public enum CSVExport {
    public static let header = ["run", "environment", "workload", "repetition", "started_at", "exit", "metric", "unit", "value"]

    /// Every figure of a run as (metric, unit, value): the registry's metrics the run has
    /// (`MetricDefinition`, in its order), then the raw counts behind them.
    public static func metrics(of r: RunResult) -> [(String, String, String)] {
        var out = MetricDefinition.all.compactMap { d in d.value(r).map { (d.name, d.unit, number($0)) } }
        if let w = r.workloadReport { out.append(("workload_ops", "count", "\(w.ops)")) }
        for s in r.syscalls {
            out.append(("syscall:\(s.name):count", "count", "\(s.count)"))
            out.append(("syscall:\(s.name):errors", "count", "\(s.errors)"))
            out.append(("syscall:\(s.name):total_ns", "ns", "\(s.totalNs)"))
        }
        if let s = r.sched {
            out += [("wakeups", "count", "\(s.wakeups)"),
                    ("runqueue_latency_ns_total", "ns", "\(s.runqueueLatencyTotalNs)"),
                    ("runqueue_waits", "count", "\(s.runqueueLatencyHist.count)")]
        }
        if let m = r.memory { out.append(("oom_kills", "count", "\(m.oomKills)")) }
        return out
    }

    /// Whole numbers as integers, others with four decimals.
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e18 ? String(Int64(v)) : String(format: "%.4f", v)
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
