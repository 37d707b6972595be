import Foundation

/// One environment's performance isolation: the victim alone, then beside each neighbour.
public struct PerformanceIsolationResult: Codable, Sendable, Equatable {
    public var environment: String
    /// VMs: kvm or tcg. Under TCG both guests' vCPUs are QEMU threads competing for host
    /// CPUs, so the figures say how the host schedules two emulators, not what KVM would show.
    public var accelerator: String?
    public var victim: String
    public var repetitions: Int
    public var alone: VictimSeries
    public var neighbours: [NeighbourImpact]
    /// How `slowdown` and its interval were computed.
    public var slowdownMethod: String
    public var notes: [String]
}
