import Foundation

/// The host's verdicts on A's spoofing and capture, from what the peer's receiver recorded
/// rather than from what A says (A is untrusted).
extension BridgeCanaries {
    /// One datagram of the run as it reached the peer.
    struct Arrival: Equatable {
        var kind: String
        var mac: String
        var ip: String
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
}
