import Foundation
import Environments
import IsoprobeCore
import OCI

/// `--network`: a bridged container gets a veth from its own namespace (the one the runtime
/// made) to isoprobe's bridge, plugged while the startContainer hook holds it, before the
/// workload's first instruction, as Docker's bridge driver plugs a container; `host` runs it
/// in the host's namespace; `none` leaves it the runtime's fresh namespace, loopback only.
extension ContainerEnvironment: NetworkAttachable {
    /// A container in the host's namespace is a variant of the environment, apart in every table.
    public var label: String { options.network == .host ? "container-host" : kind.rawValue }

    public func attach(to network: TestNetwork) throws {
        try attach(to: network, host: nil)
    }

    /// Joins `network` as host number `host` of its /24 (verify's guests A and B share one
    /// network, each with the address it is told), or, with nil, as .3 unless another
    /// environment holds it (a neighbour beside its victim).
    public func attach(to network: TestNetwork, host: Int?) throws {
        switch options.network ?? .bridge {
        case .bridge:
            let number = try network.takeHost(host, preferred: TestNetwork.containerHost)
            bridgedTo = network
            bridgedHost = number
            networkPath = network.containerRoute(host: number)
        case .host:
            var route = try network.attachHost()
            route.mode = NetworkMode.host.rawValue
            networkPath = route
        case .none:
            throw IsoprobeError(.usage, "--network none leaves the container only loopback, and network workloads need the peer",
                                fix: "use --network bridge (the default) or host")
        }
    }

    public func detach() {
        if let bridgedTo, let bridgedHost { bridgedTo.releaseHost(bridgedHost) }
        bridgedTo = nil
        bridgedHost = nil
    }

    /// Plugs the container whose first process is `pid` into the bridge (bridged containers only).
    func plugNetwork(into pid: pid_t) throws {
        guard let network = bridgedTo else { return }
        networkPath = try network.plug(process: pid, host: bridgedHost ?? TestNetwork.containerHost)
    }

    /// `--network host` drops the network namespace; a bridged container's namespace starts
    /// with IPv6 off, so its veth never sends to ff02::. The changes to a user's config, each
    /// with why.
    func applyNetwork(to spec: inout Spec) -> [ConfigChange] {
        if options.network == .host {
            let had = spec.linux?.namespaces?.contains { $0.type == .network } ?? false
            spec.linux?.namespaces?.removeAll { $0.type == .network }
            return had ? [ConfigChange("linux.namespaces", "- network", because: "--network host")] : []
        }
        guard bridgedTo != nil else { return [] }
        var sysctl = spec.linux?.sysctl ?? [:]
        for key in Self.quietSysctls.keys where sysctl[key] == nil { sysctl[key] = Self.quietSysctls[key] }
        spec.linux?.sysctl = sysctl
        return [ConfigChange("linux.sysctl", "+ " + Self.quietSysctls.keys.sorted().map { "\($0)=1" }.joined(separator: ", "),
                             because: "--network bridge: nothing is sent to ff02:: on isoprobe's bridge")]
    }

    static let quietSysctls = ["net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"]
}
