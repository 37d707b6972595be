/// The cgroup2 directory a workload runs in. Probes filter on it (children included).
public struct CgroupTarget: Sendable, Equatable {
    public var path: String
    public var id: UInt64
    public var level: Int
    /// The workload's first process, when it exists before the observer is told (a
    /// container's); the probes record how it exited.
    public var leaderPid: Int32?

    public init(path: String, id: UInt64, level: Int, leaderPid: Int32? = nil) {
        self.path = path
        self.id = id
        self.level = level
        self.leaderPid = leaderPid
    }
}

/// What an environment calls around a workload: once its cgroup exists and before the
/// workload's first instruction, then after it has exited. Probes implement this; the
/// environments know nothing of BPF.
public protocol RunObserver: AnyObject {
    func targetReady(_ target: CgroupTarget) throws
    func workloadFinished()
}
