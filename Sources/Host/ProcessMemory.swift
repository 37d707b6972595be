import Foundation

/// A process's memory as /proc/<pid>/smaps counts it, mapping by mapping, so some can be
/// left out (a guest's RAM in its VMM).
public enum ProcessMemory {
    public struct Sums: Sendable, Equatable {
        public var pssBytes: UInt64 = 0
        public var ussBytes: UInt64 = 0
        /// The sizes of the mappings left out.
        public var excludedBytes: UInt64 = 0
    }

    /// smaps is a few hundred KiB even for QEMU; more is not a process's smaps.
    static let smapsLimit = 16 << 20

    /// PSS and USS (private clean + dirty) of `pid`, leaving out each mapping at least
    /// `excludingAtLeast` bytes large; nil when smaps cannot be read.
    public static func sums(of pid: pid_t, excludingAtLeast limit: UInt64 = .max) -> Sums? {
        guard let data = ProcFS.read("/proc/\(pid)/smaps", limit: smapsLimit) else { return nil }
        var sums = Sums()
        var excluded = false
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2 else { continue }
            let kb = UInt64(fields[1]).map { $0 * 1024 }
            switch fields[0] {
            case "Size:":
                excluded = (kb ?? 0) >= limit
                if excluded { sums.excludedBytes += kb ?? 0 }
            case "Pss:" where !excluded: sums.pssBytes += kb ?? 0
            case "Private_Clean:" where !excluded, "Private_Dirty:" where !excluded: sums.ussBytes += kb ?? 0
            default: break
            }
        }
        return sums
    }
}
