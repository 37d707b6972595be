import Foundation
import IsoprobeCore
import OCI

/// What the neighbour did to its own limits and to the victim.
public struct Containment: Codable, Sendable, Equatable {
    /// The neighbour was running for the whole of the victim's measured runs.
    public var overlapped: Bool
    public var neighbourExit: String
    /// isoprobe stopped it once the victim was done (it had not ended by its duration).
    public var stoppedAfterVictim: Bool
    public var oomKills: UInt64
    public var pidsLimitHits: UInt64
    public var memoryLimitBytes: Int64?
    public var pidsLimit: Int64?
    public var peakRssBytes: UInt64?
    public var victimCompleted: Bool
    /// The victim finished every run, and the neighbour's memory stayed under its limit.
    public var held: Bool
    public var error: String?
}

extension Containment {
    init(outcome: NeighbourRun.Outcome, limits: ResourceLimits, environment: IsolationEnvironment,
         overlapped: Bool, stopped: Bool, victim: VictimSeries) {
        let result = outcome.result
        let memoryLimit = environment.base.memoryLimit(of: limits)
        let events = result?.details?.limitEvents
            ?? EnvironmentDetails.LimitEvents.from(syscalls: result?.syscalls ?? [], memory: result?.memory)
        self.init(overlapped: overlapped, neighbourExit: result?.exit.description
                    ?? (stopped ? "stopped after the victim finished" : outcome.error ?? "no result"),
                  stoppedAfterVictim: stopped, oomKills: events.oomKills, pidsLimitHits: events.pidsLimitHits,
                  memoryLimitBytes: memoryLimit, pidsLimit: limits.pids, peakRssBytes: result?.memory?.peakRssBytes,
                  victimCompleted: victim.completed,
                  held: victim.completed && Self.withinMemory(result?.memory?.peakRssBytes, memoryLimit),
                  error: result == nil && !stopped ? outcome.error : nil)
    }

    public static let residentSlack: UInt64 = 2 << 20

    static func withinMemory(_ peak: UInt64?, _ limit: Int64?) -> Bool {
        guard let peak, let limit else { return true }
        // Resident pages count the program's own file pages, which need not be charged to
        // the neighbour's cgroup: a little over the limit is still inside it.
        return peak <= UInt64(max(limit, 0)) + residentSlack
    }
}
