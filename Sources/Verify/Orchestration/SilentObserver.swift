import IsoprobeCore

/// For guest B: it is a canary, not what is measured.
final class SilentObserver: RunObserver {
    func targetReady(_ target: CgroupTarget) throws {}
    func workloadFinished() {}
}
