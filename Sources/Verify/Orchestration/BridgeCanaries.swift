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

    /// One datagram of the run as it reached the peer.
    struct Arrival: Equatable {
        var kind: String
        var mac: String
        var ip: String
    }

    /// Stops the receiver; what reached the peer.
    func arrivals() -> [Arrival] {
        let text = receiver?.finish() ?? ""
        receiver = nil
        return Self.parse(text)
    }

    /// `isoprobe-arrived kind=K src_mac=M src_ip=I` lines, at most `arrivalLimit`.
    static func parse(_ text: String) -> [Arrival] {
        var out: [Arrival] = []
        for line in text.split(separator: "\n") where line.hasPrefix("isoprobe-arrived ") {
            var f: [String: String] = [:]
            for token in line.split(separator: " ").dropFirst() {
                let kv = token.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { f[kv[0]] = kv[1] }
            }
            guard let kind = f["kind"], let mac = f["src_mac"], let ip = f["src_ip"] else { continue }
            out.append(Arrival(kind: kind, mac: mac, ip: ip))
            if out.count == arrivalLimit { break }
        }
        return out
    }

    /// The host's verdicts on spoofing and capture, from what reached the peer: A says what
    /// it sent and saw, the peer's receiver says what the bridge let through.
    /// `a` and `b` are A's and B's addresses on the bridge; when both are the host's (A and
    /// B in the host's namespace) A's own datagram comes from B's address without spoofing.
    static func judge(_ observed: inout [ObservedCheck], arrivals: [Arrival],
                      a: (address: String, mac: String)?, b: (address: String, mac: String)?) {
        guard let a, let b else { return }
        let chatter = arrivals.contains { $0.kind == "chatter" && $0.ip == b.address }
        let own = arrivals.filter { $0.kind == "own" && $0.ip == a.address && $0.mac == a.mac }
        let asB = arrivals.filter { arrival in
            arrival.kind != "chatter" && (arrival.ip == b.address || arrival.mac == b.mac)
                && !(arrival.kind == "own" && arrival.ip == a.address && arrival.mac == a.mac)
        }
        if let i = observed.firstIndex(where: { $0.id == "net.spoof_source" }) {
            var c = observed[i]
            if let first = asB.first {
                c.verdict = .fail
                c.evidence = "the peer received A's \(first.kind) datagram from \(first.ip) (MAC \(first.mac)), B's; A said: \(c.evidence)"
            } else if c.verdict == .fail {
                // A sent frames from B's addresses and none arrived: held, if A's own got through.
                if let mine = own.first {
                    c.verdict = .pass
                    c.evidence = "the peer received A's own datagram from \(mine.ip) but none from B's \(b.address) or \(b.mac); A said: \(c.evidence)"
                } else {
                    c.verdict = .na
                    c.evidence = "the peer received nothing of A's, not even its own datagram; A said: \(c.evidence)"
                }
            } else if c.verdict == .pass {
                c.evidence += "; the peer received nothing from B's addresses but B's own chatter"
            }
            observed[i] = c
        }
        // The peer is A's permitted target: a listener out of reach means something only if
        // A's own datagram got to the peer, so the path itself carried A's traffic.
        for id in ["net.bridge_reach_peer", "net.bridge_reach_host"] {
            guard let i = observed.firstIndex(where: { $0.id == id }), observed[i].verdict == .pass else { continue }
            if own.isEmpty {
                observed[i].verdict = .na
                observed[i].evidence += "; not even A's own datagram reached the peer: the path carried nothing"
            } else {
                observed[i].evidence += "; A's own datagram reached the peer"
            }
        }
        if let i = observed.firstIndex(where: { $0.id == "net.sniff_peer" }) {
            var c = observed[i]
            // A capture that found nothing proves something only if B's traffic flowed.
            if c.verdict == .pass && c.evidence.hasPrefix("promiscuous") && !chatter {
                c.verdict = .na
                c.evidence += "; B's chatter did not reach the peer: there was nothing to capture"
            } else if c.verdict != .na {
                c.evidence += chatter ? "; B's chatter reached the peer meanwhile" : "; B's chatter did not reach the peer"
            }
            observed[i] = c
        }
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
