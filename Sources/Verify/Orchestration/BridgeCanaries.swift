import Environments
import Foundation
import Host
import IsoprobeCore

/// How a kind of guest sits on verify's bridge.
enum BridgeMembership: Sendable, Equatable {
    /// Plugged into the bridge from a network namespace of its own, as host number n.
    case own
    /// In the host's network namespace: its address on the bridge is the host's (.2).
    case host
    /// Not on the bridge (a namespace joined by path): the bridge checks are not tried.
    case none
}

/// The canaries on isoprobe's bridge for one guest verification: a test network of its own
/// (switch and peer namespaces, the host's veth with .2), the host's listener on .2, and a
/// receiver in the peer that records, as the frames arrived, which of A's and B's datagrams
/// reached it. Guest A is .3 and B .5 when they have namespaces of their own. Where a
/// network binds ports, each guest's port passes only its own MAC and address, to the peer.
/// The only owner of the network and the receiver: `close()` on every path out.
final class BridgeCanaries {
    let network: TestNetwork
    let tag: String
    private var receiver: PeerServer?

    static let hostA = TestNetwork.containerHost
    static let hostB = 5
    /// The receiver's port in the peer (UDP, and a TCP listener that says it is ready).
    static let port = 7100
    /// Lines of the receiver read at most (it prints at most 64).
    static let arrivalLimit = 64

    init(checker: String, tag: String, bindPorts: Bool) throws {
        network = try TestNetwork.create()
        self.tag = tag
        do {
            _ = try network.attachHost()
            if bindPorts { try network.bindPorts() }
            receiver = try PeerServer(argv: [checker, "receive", "port=\(Self.port)", "tag=\(tag)",
                                             "hold_ms=\(PeerGuest.holdMs)"],
                                      port: Self.port, network: network, figures: { _ in nil })
        } catch {
            network.close()
            throw error
        }
    }

    /// The host's address on the bridge, where its canary listens too.
    var hostAddress: String { network.address(2) }

    /// A guest's address and MAC on the bridge by its membership and role.
    func endpoint(_ membership: BridgeMembership, host: Int) -> (address: String, mac: String)? {
        switch membership {
        case .own: return (network.address(host), network.mac(host))
        case .host: return (network.address(2), network.mac(2))
        case .none: return nil
        }
    }

    /// `boundaries plant` arguments for B: its listener on its bridge address, and its
    /// chatter to the peer for A to try to capture.
    func plantArguments(forB membership: BridgeMembership) -> [String] {
        guard let b = endpoint(membership, host: Self.hostB) else { return [] }
        return ["net_addr=\(b.address)", "chatter_addr=\(network.peerAddress)", "chatter_port=\(Self.port)", "net_tag=\(tag)"]
    }

    /// `boundaries check` parameters for A, B being `peer`.
    func checkParameters(peer membership: BridgeMembership) -> [(key: String, value: String)] {
        var p: [(key: String, value: String)] = [
            ("net_tag", tag), ("bridge_host_addr", hostAddress), ("far_addr", network.peerAddress),
            ("far_mac", network.mac(1)), ("far_port", String(Self.port)),
        ]
        if let b = endpoint(membership, host: Self.hostB) {
            p += [("bridge_peer_addr", b.address), ("bridge_peer_mac", b.mac)]
        }
        return p
    }

    /// Stops the receiver; what reached the peer.
    func arrivals() -> [Arrival] {
        let text = receiver?.finish() ?? ""
        receiver = nil
        return Self.parse(text)
    }

    /// The report's account of the bridge, A and B being `membership`.
    func summary(_ membership: BridgeMembership) -> BridgeSummary? {
        guard let a = endpoint(membership, host: Self.hostA), let b = endpoint(membership, host: Self.hostB) else { return nil }
        return BridgeSummary(bridge: network.bridge, switchNamespace: network.switchNamespace, peerAddress: network.peerAddress,
                             hostAddress: hostAddress, address: a.address, otherAddress: b.address,
                             portsBound: network.bindsPorts, filtering: TestNetwork.bridgeFiltering.reason)
    }

    /// What the report says of the bridge under this run, A and B being `membership`.
    func note(_ membership: BridgeMembership) -> String {
        if membership == .host {
            return "A and B are in the host's network namespace: on the bridge through the host's veth, with its address \(hostAddress)"
        }
        return network.bindsPorts
            ? "the bridge binds each guest's port to its MAC and IPv4 address, IPv4 to the peer only (nftables bridge family)"
            : TestNetwork.bridgeFiltering.available ? "the bridge's ports are not bound (a plain Linux bridge)"
            : "the bridge's ports are not bound: \(TestNetwork.bridgeFiltering.reason); a plain Linux bridge lets a port spoof and reach every other port, open by design"
    }

    /// Stops the receiver and removes the network; idempotent.
    func close() {
        _ = receiver?.finish()
        receiver = nil
        network.close()
    }
}
