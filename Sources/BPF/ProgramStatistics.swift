import CBPF
import Foundation

/// The kernel's own account of what each loaded BPF program cost: runs and time, kept only
/// while someone holds a BPF_ENABLE_STATS descriptor (so nothing global outlives the holder,
/// unlike the kernel.bpf_stats_enabled sysctl). Each count includes the two clock reads that
/// take it (tens of ns a run).
public enum ProgramStatistics {
    public struct Entry: Sendable, Equatable {
        public var id: UInt32
        public var name: String
        public var runs: UInt64
        public var runTimeNs: UInt64
        /// Runs the kernel skipped: the program was already running on that CPU (an
        /// interrupt's event inside the program's own), so its event went uncounted.
        public var recursionMisses: UInt64 = 0
    }

    /// Starts counting; counting stops when the descriptor is closed.
    public static func enable() throws -> Int32 {
        let fd = bpf_enable_stats(BPF_STATS_RUN_TIME)
        guard fd >= 0 else { throw BPFError(call: "bpf_enable_stats", subject: "BPF_STATS_RUN_TIME", errno: -fd) }
        return fd
    }

    /// Every program loaded on the host now, with its counters.
    public static func all() -> [Entry] {
        var out: [Entry] = []
        var id: UInt32 = 0
        while bpf_prog_get_next_id(id, &id) == 0 {
            let fd = bpf_prog_get_fd_by_id(id)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var info = bpf_prog_info()
            var length = UInt32(MemoryLayout<bpf_prog_info>.size)
            guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else { continue }
            let name = withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            out.append(Entry(id: id, name: name, runs: info.run_cnt, runTimeNs: info.run_time_ns,
                             recursionMisses: info.recursion_misses))
        }
        return out
    }

    /// The ids of the programs this process holds open (its own, not another's loaded
    /// meanwhile): each program descriptor's fdinfo names its id.
    public static func ownIDs() -> Set<UInt32> {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        var ids: Set<UInt32> = []
        for fd in fds {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
                  target == "anon_inode:bpf-prog",
                  let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8),
                  let line = info.split(separator: "\n").first(where: { $0.hasPrefix("prog_id:") }),
                  let id = UInt32(line.dropFirst("prog_id:".count).trimmingCharacters(in: .whitespaces))
            else { continue }
            ids.insert(id)
        }
        return ids
    }
}
