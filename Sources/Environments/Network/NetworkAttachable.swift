import IsoprobeCore

/// An environment that can reach the plan's network (`TestNetwork`). The plan attaches it
/// once, after making it and before its first run, when the plan has network workloads.
public protocol NetworkAttachable: AnyObject {
    /// Joins the network; the environment releases nothing of it (the network's owner does).
    func attach(to network: TestNetwork) throws
    /// The way its workloads go to the peer now; nil when it has none (`--network none`).
    var networkPath: NetworkPath? { get }
    /// Gives back what it holds of the network (its address) when the plan is done with it:
    /// a network shared between plans (a victim and its noisy neighbour) outlives each.
    func detach()
}

extension NetworkAttachable {
    public func detach() {}
}
