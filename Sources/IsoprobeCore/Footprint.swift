/// What an environment costs the host in memory beyond its workload, per instance: for a
/// guest, the VMM's own PSS and USS without the guest's RAM mapping (as Firecracker's
/// memory-overhead test counts it); for a container, the runtime's processes while the
/// workload runs and the kernel memory its cgroup is charged. Informational: never a verdict.
public struct Footprint: Codable, Sendable, Equatable {
    /// vm: QEMU's proportional and unique set size, the guest-RAM mapping left out.
    public var vmmPssBytes: UInt64?
    public var vmmUssBytes: UInt64?
    /// vm: the guest-RAM mapping that was left out (its size).
    public var guestMemoryBytes: UInt64?
    /// container: the runtime's processes (PSS) as the workload is let go.
    public var runtimePssBytes: UInt64?
    public var runtimeProcesses: Int?
    /// container: the cgroup's kernel memory (cgroup v1 memory.kmem.usage_in_bytes, or v2
    /// memory.stat's kernel) as the workload is let go.
    public var cgroupKernelBytes: UInt64?

    public init(vmmPssBytes: UInt64? = nil, vmmUssBytes: UInt64? = nil, guestMemoryBytes: UInt64? = nil,
                runtimePssBytes: UInt64? = nil, runtimeProcesses: Int? = nil, cgroupKernelBytes: UInt64? = nil) {
        self.vmmPssBytes = vmmPssBytes
        self.vmmUssBytes = vmmUssBytes
        self.guestMemoryBytes = guestMemoryBytes
        self.runtimePssBytes = runtimePssBytes
        self.runtimeProcesses = runtimeProcesses
        self.cgroupKernelBytes = cgroupKernelBytes
    }

    /// The one figure a summary shows: the VMM's PSS, or the runtime's PSS plus kernel memory.
    public var totalBytes: UInt64? {
        if let vmmPssBytes { return vmmPssBytes }
        guard runtimePssBytes != nil || cgroupKernelBytes != nil else { return nil }
        return (runtimePssBytes ?? 0) + (cgroupKernelBytes ?? 0)
    }
}
