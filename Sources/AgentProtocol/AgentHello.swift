import IsoprobeCore

/// The agent's first message: what it is and what the guest offers, before any run.
public struct AgentHello: Codable, Sendable, Equatable {
    /// `IsoprobeVersion.current` of the agent binary: the host refuses a different one rather
    /// than read results from a build that may count differently.
    public var agentVersion: String
    /// `AgentMessage.protocolVersion` the agent speaks (message payloads, not frame syntax).
    public var protocolVersion: Int
    /// The guest as `HostFacts.current` sees it from inside (kernel release, CPUs, memory,
    /// clocksource, cgroup layout), the same fields the host reports about itself.
    public var guest: HostFacts
    /// Which probe families attached in the guest kernel, through what, or why not.
    public var probes: [ProbeStatus]

    public init(agentVersion: String = IsoprobeVersion.current, protocolVersion: Int = AgentMessage.protocolVersion,
                guest: HostFacts, probes: [ProbeStatus]) {
        self.agentVersion = agentVersion
        self.protocolVersion = protocolVersion
        self.guest = guest
        self.probes = probes
    }

    /// The guest kernel's release (`uname -r`).
    public var kernelRelease: String { guest.kernel }
}
