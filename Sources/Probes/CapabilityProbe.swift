import BPF
import CShim
import Foundation
import IsoprobeCore

/// Capability checks on the target cgroup from the cap_capable tracepoint: which
/// capabilities the kernel checked for the workload and which it refused. Optional: where
/// the kernel lacks the tracepoint (older kernels), `unavailable` says why; an object that
/// cannot be opened or loaded is an error naming it.
public final class CapabilityProbe: RunObserver {
    public struct Count: Sendable, Equatable {
        public var capability: String
        public var number: Int
        public var checks: UInt64
        public var refused: UInt64
    }

    let directory: String
    private let probe = TargetedObject()
    public private(set) var unavailable: String?

    public init(directory: String) {
        self.directory = directory
    }

    deinit { close() }

    public func targetReady(_ target: CgroupTarget) throws {
        try attach(target: target)
    }

    /// target nil: every task (for checks of the attach path).
    public func attach(target: CgroupTarget?) throws {
        let why = try probe.open("capable.bpf.o", in: directory, target: target, name: "capability",
                                 tracepoints: ["cap_capable"])
        unavailable = why.map { "capability probe: \($0)" }
    }

    public func workloadFinished() { probe.detach() }

    /// Every capability checked at least once, most refused first; nil when not attached.
    public func collect() throws -> [Count]? {
        guard let object = probe.object else { return nil }
        let map = try object.map(named: "caps")
        var out: [Count] = []
        for n in 0..<Int(ISOPROBE_CAP_SLOTS) {
            guard let s = try map.lookup(UInt32(n), as: isoprobe_cap_stat.self)?.first, s.checks > 0 else { continue }
            out.append(Count(capability: CapabilityNames.name(n), number: n, checks: s.checks, refused: s.refused))
        }
        return out.sorted { ($0.refused, $0.checks, $1.number) > ($1.refused, $1.checks, $0.number) }
    }

    public func close() { probe.close() }

}
