import IsoprobeCore

/// The three families of probes isoprobe loads; each is one object file in the probes directory.
public enum ProbeFamily: String, CaseIterable, Sendable, Codable {
    case syscalls, sched, memory

    public var objectFile: String { "\(rawValue).bpf.o" }

    /// The tracepoints the family's object watches, each through a tp_btf program, a raw_tp
    /// one or both: an object without a program for one of them is not this family's.
    public var tracepoints: [String] {
        switch self {
        case .syscalls: return ["sys_enter", "sys_exit", "sched_process_exit"]
        case .sched: return ["sched_wakeup", "sched_wakeup_new", "sched_switch", "sched_migrate_task", "sched_process_exit"]
        case .memory: return ["page_fault_user", "page_fault_kernel", "rss_stat", "sched_process_exec", "sched_process_fork",
                              "sched_process_exit"]
        }
    }

    public var summary: String {
        switch self {
        case .syscalls: return "per-syscall counts, errors, latency histograms (sys_enter/sys_exit)"
        case .sched: return "run-queue latency, on-CPU slices, context switches, migrations, wakeups"
        case .memory: return "user/kernel page faults, mmap/munmap/brk bytes"
        }
    }

    public static func parseList(_ text: String) throws -> [ProbeFamily] {
        if text == "all" { return allCases }
        if text == "none" { return [] }
        return try text.split(separator: ",").map { item in
            guard let f = ProbeFamily(rawValue: String(item)) else {
                throw IsoprobeError(.usage, "--probes: unknown probe family '\(item)'",
                                    fix: "use all, none, or a list of syscalls, sched, memory")
            }
            return f
        }
    }
}
