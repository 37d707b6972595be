import Foundation

/// The limits isoprobe puts on a container run; nil means unlimited.
public struct ResourceLimits: Equatable, Sendable {
    /// CPUs' worth of time per period (1.5 = one and a half CPUs).
    public var cpus: Double?
    public var memoryBytes: Int64?
    public var pids: Int64?

    public static let none = ResourceLimits()

    /// The CFS period isoprobe uses; the quota is `cpus` times this.
    public static let cpuPeriod: UInt64 = 100_000

    public init(cpus: Double? = nil, memoryBytes: Int64? = nil, pids: Int64? = nil) {
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.pids = pids
    }

    /// `linux.resources` for these limits, with the device rule given. Throws when a limit
    /// is one the kernel would refuse, naming it, so the mistake surfaces before runc runs.
    func resources(devices: [Linux.Resources.DeviceRule]) throws -> Linux.Resources {
        var resources = Linux.Resources(devices: devices)
        if let cpus {
            // The kernel refuses a CFS quota under 1 ms.
            let quota = (cpus * Double(Self.cpuPeriod)).rounded()
            guard cpus.isFinite, quota >= 1000, quota <= Double(Int64.max) else {
                throw OCIConfigError("limits.cpus", "must be at least 0.01, got \(cpus)")
            }
            resources.cpu = .init(quota: Int64(quota), period: Self.cpuPeriod)
        }
        if let memoryBytes {
            guard memoryBytes > 0 else {
                throw OCIConfigError("limits.memoryBytes", "must be positive, got \(memoryBytes)")
            }
            // swap is memory+swap: equal to the limit means the workload cannot swap, so a
            // memory-hungry run is measured in RAM on every host.
            resources.memory = .init(limit: memoryBytes, swap: memoryBytes)
        }
        if let pids {
            guard pids > 0 else { throw OCIConfigError("limits.pids", "must be positive, got \(pids)") }
            resources.pids = .init(limit: pids)
        }
        return resources
    }
}
