import Foundation

/// The container limits a runtime can start with, checked before anything runs: runc refuses
/// the others only once it is making the container, in the kernel's words.
public enum ContainerLimitRules {
    /// runc's own start-up in the container's cgroup uses a few MiB: with 4 MiB it cannot
    /// start the container, with 5 MiB it can; 6 MiB (Docker's minimum) leaves some room.
    public static let minimumMemoryBytes: Int64 = 6 << 20

    /// The kernel refuses a CFS quota under 1 ms per 100 ms period.
    public static let minimumCPUs = 0.01

    /// What is wrong with a memory limit, or nil.
    public static func memoryProblem(_ bytes: Int64) -> String? {
        guard bytes < minimumMemoryBytes else { return nil }
        return "must be at least \(minimumMemoryBytes >> 20)M (the container runtime cannot start a container in less), e.g. 64M"
    }

    /// What is wrong with a CPU limit, or nil: under the kernel's least quota, or more CPUs
    /// than the host has (a limit that limits nothing; far above, the kernel refuses it).
    public static func cpusProblem(_ cpus: Double, hostCPUs: Int = onlineCPUs) -> String? {
        guard cpus.isFinite, cpus >= minimumCPUs else {
            return "must be at least \(minimumCPUs) (the kernel refuses a quota under 1 ms per 100 ms), e.g. 0.5"
        }
        guard cpus <= Double(hostCPUs) else { return "must be at most \(hostCPUs) (this host has \(hostCPUs) CPUs), e.g. 0.5" }
        return nil
    }

    public static var onlineCPUs: Int { max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1) }
}
