import BPF
import Foundation
import CShim
import IsoprobeCore

/// Reads a fixed-size C array (imported as a tuple) into a Swift array.
func array<T, E>(_ tuple: T, of: E.Type) -> [E] {
    withUnsafeBytes(of: tuple) { raw in
        (0..<(MemoryLayout<T>.size / MemoryLayout<E>.stride)).map {
            raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<E>.stride, as: E.self)
        }
    }
}

enum SyscallReader {
    static func read(_ object: BPFObject) throws -> [SyscallStats] {
        let stats = try object.map(named: "stats")
        var errnos: [UInt32: [SyscallStats.ErrnoCount]] = [:]
        let errnoMap = try object.map(named: "errnos")
        for key in try errnoMap.keys(as: isoprobe_syscall_errno_key.self) {
            guard let count = try errnoMap.lookup(key, as: UInt64.self)?.first else { continue }
            errnos[key.nr, default: []].append(.init(errno: ErrnoNames.name(Int(key.err)), code: Int(key.err), count: count))
        }
        var out: [SyscallStats] = []
        for nr in 0..<UInt32(ISOPROBE_MAX_SYSCALLS) {
            guard let perCPU = try stats.lookup(nr, as: isoprobe_syscall_stat.self) else { continue }
            var count: UInt64 = 0, errors: UInt64 = 0, total: UInt64 = 0
            var hist = Log2Histogram(unit: "ns")
            for s in perCPU where s.count > 0 {
                count += s.count
                errors += s.errors
                total += s.total_ns
                hist = hist + Log2Histogram(unit: "ns", slots: array(s.hist, of: UInt64.self))
            }
            if count == 0 { continue }
            out.append(SyscallStats(name: SyscallTable.name(Int(nr)), nr: Int(nr), count: count, errors: errors,
                                    errnos: (errnos[nr] ?? []).sorted { $0.count > $1.count },
                                    totalNs: total, latencyHist: hist))
        }
        return out.sorted { ($0.count, $1.name) > ($1.count, $0.name) }
    }

}

/// What every probe that sends events shares (probes/events.bpf.h).
enum EventReader {
    /// Events lost to a full ring buffer.
    static func dropped(_ object: BPFObject) throws -> UInt64 {
        try object.map(named: "dropped_events").lookup(UInt32(0), as: UInt64.self)?.first ?? 0
    }
}

enum SchedReader {
    static func read(_ object: BPFObject) throws -> SchedStats {
        let perCPU = try object.map(named: "stats").lookup(UInt32(0), as: isoprobe_sched_stat.self) ?? []
        var vol: UInt64 = 0, invol: UInt64 = 0, mig: UInt64 = 0, wake: UInt64 = 0, wakeNew: UInt64 = 0
        var runqTotal: UInt64 = 0, oncpuTotal: UInt64 = 0
        var exited: UInt64 = 0, runtime: UInt64 = 0, utime: UInt64 = 0, stime: UInt64 = 0, lastExit: UInt64 = 0
        var leaderStatus: Int32?
        var runq = Log2Histogram(unit: "ns"), oncpu = Log2Histogram(unit: "ns")
        for s in perCPU {
            vol += s.voluntary_switches
            invol += s.involuntary_switches
            mig += s.migrations
            wake += s.wakeups
            wakeNew += s.wakeups_new
            runqTotal += s.runq_total_ns
            oncpuTotal += s.oncpu_total_ns
            exited += s.exited_tasks
            runtime += s.cpu_runtime_ns
            utime += s.cpu_utime_ns
            stime += s.cpu_stime_ns
            lastExit = max(lastExit, s.last_exit_ns)
            if s.leader_exited != 0 { leaderStatus = Int32(truncatingIfNeeded: s.leader_exit_code) }
            runq = runq + Log2Histogram(unit: "ns", slots: array(s.runq_hist, of: UInt64.self))
            oncpu = oncpu + Log2Histogram(unit: "ns", slots: array(s.oncpu_hist, of: UInt64.self))
        }
        var stats = SchedStats(contextSwitches: .init(voluntary: vol, involuntary: invol), migrations: mig,
                               wakeups: wake, wakeupsNew: wakeNew, runqueueLatencyHist: runq,
                               runqueueLatencyTotalNs: runqTotal, oncpuSliceHist: oncpu, oncpuTotalNs: oncpuTotal)
        stats.leaderWaitStatus = leaderStatus
        if exited > 0 {
            let sampled = utime + stime
            let user = sampled == 0 ? 0 : UInt64(Double(runtime) * Double(utime) / Double(sampled))
            stats.cpu = .init(exitedTasks: exited, runtimeNs: runtime, userNs: user, systemNs: runtime - min(user, runtime),
                              lastExitNs: lastExit)
        }
        return stats
    }
}

enum MemoryReader {
    /// Page faults and peak RSS from the memory object; mmap, munmap and brk from the
    /// syscalls object when it is attached (nil otherwise).
    static func read(_ object: BPFObject, syscalls: BPFObject?) throws -> MemoryStats {
        let perCPU = try object.map(named: "stats").lookup(UInt32(0), as: isoprobe_memory_stat.self) ?? []
        let user = perCPU.reduce(0) { $0 + $1.faults_user }
        let kernel = perCPU.reduce(0) { $0 + $1.faults_kernel }
        var stats = MemoryStats(pageFaults: .init(user: user, kernel: kernel), mmap: nil, munmap: nil, brk: nil,
                                peakRssBytes: try peakRSS(object))
        stats.oomKills = perCPU.reduce(0) { $0 + $1.oom_kills }
        if let syscalls {
            let m = try syscalls.map(named: "memory_syscalls")
                .lookup(UInt32(0), as: isoprobe_memory_syscalls.self) ?? []
            func sum(_ f: (isoprobe_memory_syscalls) -> UInt64) -> UInt64 { m.reduce(0) { $0 + f($1) } }
            stats.mmap = .init(calls: sum(\.mmap_calls), bytes: sum(\.mmap_bytes))
            stats.munmap = .init(calls: sum(\.munmap_calls), bytes: sum(\.munmap_bytes))
            stats.brk = .init(calls: sum(\.brk_calls), growBytes: sum(\.brk_grow_bytes),
                              shrinkBytes: sum(\.brk_shrink_bytes))
        }
        return stats
    }

    /// The largest resident set any of the target's address spaces reached.
    static func peakRSS(_ object: BPFObject) throws -> UInt64 {
        let map = try object.map(named: "rss_peak")
        var peak: UInt64 = 0
        for key in try map.keys(as: UInt64.self) {
            peak = max(peak, try map.lookup(key, as: UInt64.self)?.first ?? 0)
        }
        return peak * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
