/// The cgroup2 directory a workload runs in. Probes filter on it (children included).
public struct CgroupTarget: Sendable, Equatable {
    public var path: String
    public var id: UInt64
    public var level: Int

    public init(path: String, id: UInt64, level: Int) {
        self.path = path
        self.id = id
        self.level = level
    }
}

/// What an environment calls around a workload: once its cgroup exists and before the
/// workload's first instruction, then after it has exited. Probes implement this; the
/// environments know nothing of BPF.
public protocol RunObserver: AnyObject {
    func targetReady(_ target: CgroupTarget) throws
    func workloadFinished()
}
