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

    /// The programs this process holds open (its own, not another's loaded meanwhile), read
    /// through its own descriptors, each program once.
    public static func own() -> [Entry] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        var byID: [UInt32: Entry] = [:]
        for name in fds {
            guard let fd = Int32(name),
                  (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")) == "anon_inode:bpf-prog",
                  let entry = entry(fd: fd) else { continue }
            byID[entry.id] = entry
        }
        return Array(byID.values)
    }

    /// The kernel's account of the program behind `fd`.
    static func info(fd: Int32) -> bpf_prog_info? {
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        return bpf_obj_get_info_by_fd(fd, &info, &length) == 0 ? info : nil
    }

    static func entry(fd: Int32) -> Entry? {
        guard let info = info(fd: fd) else { return nil }
        let name = withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return Entry(id: info.id, name: name, runs: info.run_cnt, runTimeNs: info.run_time_ns,
                     recursionMisses: info.recursion_misses)
    }
}
