import Foundation

/// The victim beside one neighbour, and whether the neighbour stayed inside its limits.
public struct NeighbourImpact: Codable, Sendable, Equatable {
    public var neighbour: NoisyNeighbour
    public var neighbourWorkload: String
    public var victim: VictimSeries
    /// Median wall time with the neighbour over median alone.
    public var slowdown: Double
    /// The slowdown's interval: 95% bootstrap of the median ratio with 3 runs a side or
    /// more, else fastest with the neighbour over slowest alone and slowest over fastest.
    public var slowdownLow: Double
    public var slowdownHigh: Double
    /// The same ratio from the workload's own timing (elapsed_ns), when it reported one.
    public var selfTimedSlowdown: Double?
    public var containment: Containment
}
