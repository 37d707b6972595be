import Foundation
import Host
import IsoprobeCore

/// What a container costs the host beyond its workload, read as the workload is let go: the
/// runtime's process (`<runtime> run` waits beside the container for the whole run) and the
/// kernel memory charged to the container's cgroup (its namespaces, mounts, page tables).
extension ContainerEnvironment {
    static func footprint(runtimePid: pid_t, cgroupDirectories: [String]) -> Footprint {
        let runtime = ProcessMemory.sums(of: runtimePid)
        var kernel: UInt64?
        for dir in cgroupDirectories {
            if let v1 = ProcFS.text(dir + "/memory.kmem.usage_in_bytes").flatMap({ UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                kernel = v1
                break
            }
            if let stat = ProcFS.text(dir + "/memory.stat"),
               let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("kernel ") }),
               let v2 = UInt64(line.dropFirst("kernel ".count)) {
                kernel = v2
                break
            }
        }
        return Footprint(runtimePssBytes: runtime?.pssBytes, runtimeProcesses: runtime == nil ? 0 : 1, cgroupKernelBytes: kernel)
    }
}
