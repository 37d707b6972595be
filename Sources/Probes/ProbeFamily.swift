import IsoprobeCore

/// The three families of probes isoprobe loads; each is one object file in the probes directory.
public enum ProbeFamily: String, CaseIterable, Sendable, Codable {
    case syscalls, sched, memory

    public var objectFile: String { "\(rawValue).bpf.o" }

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
