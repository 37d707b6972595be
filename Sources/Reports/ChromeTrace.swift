import Foundation
import IsoprobeCore

/// The probes' ring-buffer events in the Chrome Trace Event Format, which Perfetto UI and
/// chrome://tracing open: one process track per run (environment, workload, repetition),
/// a thread track per task, slow syscalls and long run-queue waits as complete events.
public enum ChromeTrace {
    struct Event: Encodable {
        var name: String
        var cat: String?
        var ph: String
        var ts: Double?
        var dur: Double?
        var pid: Int
        var tid: Int
        var args: [String: Value]?
    }

    enum Value: Encodable {
        case string(String), int(Int64)
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let s): try c.encode(s)
            case .int(let i): try c.encode(i)
            }
        }
    }

    struct Trace: Encodable {
        var traceEvents: [Event]
        var displayTimeUnit = "ns"
        var otherData: [String: String]
    }

    /// An event source: more kinds plug in here as the probes send them.
    typealias Source = (RunResult, Int) -> [Event]

    static let sources: [Source] = [slowSyscalls, schedEvents]

    public static func render(_ document: ResultDocument) throws -> String {
        var events: [Event] = []
        for (i, run) in document.runs.enumerated() {
            let pid = i + 1
            events.append(Event(name: "process_name", ph: "M", pid: pid, tid: 0,
                                args: ["name": .string("\(run.environment) \(run.workload.spec) rep \(run.repetition)")]))
            events.append(Event(name: "process_sort_index", ph: "M", pid: pid, tid: 0, args: ["sort_index": .int(Int64(pid))]))
            let own = sources.flatMap { $0(run, pid) }
            var named: Set<Int> = []
            for e in own where !named.contains(e.tid) {
                named.insert(e.tid)
                let comm = e.args?["comm"].flatMap { if case .string(let s) = $0 { return s }; return nil } ?? "task"
                events.append(Event(name: "thread_name", ph: "M", pid: pid, tid: e.tid, args: ["name": .string("\(comm) \(e.tid)")]))
            }
            events += own
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let trace = Trace(traceEvents: events, otherData: ["generator": "isoprobe \(IsoprobeVersion.current)",
                                                           "host": document.host.hostname, "kernel": document.host.kernel])
        return String(decoding: try encoder.encode(trace), as: UTF8.self) + "\n"
    }

    static func slowSyscalls(_ run: RunResult, _ pid: Int) -> [Event] {
        run.slowSyscalls.map { s in
            Event(name: s.name, cat: "syscall", ph: "X", ts: Double(s.startNs) / 1000, dur: Double(s.durationNs) / 1000,
                  pid: pid, tid: Int(s.tid),
                  args: ["ret": .int(s.ret), "cpu": .int(Int64(s.cpu)), "comm": .string(s.comm), "host_pid": .int(Int64(s.pid))])
        }
    }

    static func schedEvents(_ run: RunResult, _ pid: Int) -> [Event] {
        (run.schedEvents ?? []).map { e in
            Event(name: e.kind == "runq_wait" ? "run-queue wait" : e.kind, cat: "sched", ph: "X",
                  ts: Double(e.startNs) / 1000, dur: Double(e.durationNs) / 1000, pid: pid, tid: Int(e.tid),
                  args: ["cpu": .int(Int64(e.cpu)), "comm": .string(e.comm), "host_pid": .int(Int64(e.pid))])
        }
    }
}
