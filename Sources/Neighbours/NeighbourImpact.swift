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
    /// A network victim's headline figure beside the neighbour against alone.
    public var victimFigure: FigureImpact?
    /// A network neighbour's own count of the bytes it moved: its server's account in the
    /// peer (received for net_tx, sent for net_rx).
    public var neighbourBytes: UInt64?
}

/// One figure of the victim's, its median beside the neighbour over its median alone.
public struct FigureImpact: Codable, Sendable, Equatable {
    /// The metric registry's name: `net_latency_p50_ns` (request/response) or `net_throughput_bps` (a stream).
    public var metric: String
    public var lowerIsBetter: Bool
    public var medianAlone: Double
    public var medianBeside: Double
    /// Beside over alone: above 1 is worse for a latency, below 1 worse for a throughput.
    public var ratio: Double
    /// Its interval, computed as the slowdown's is (`slowdown_method`).
    public var ratioLow: Double
    public var ratioHigh: Double
}
