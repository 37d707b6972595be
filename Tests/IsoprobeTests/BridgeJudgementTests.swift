import Testing
@testable import Verify

/// How the host judges A's spoofing and capture on verify's bridge by what the peer's
/// receiver recorded (the real runs are in VerifyTests; these pin down each case).
@Suite struct BridgeJudgementTests {
    typealias Arrival = BridgeCanaries.Arrival
    static let a = (address: "198.18.4.3", mac: "02:18:00:04:00:03")
    static let b = (address: "198.18.4.5", mac: "02:18:00:04:00:05")
    static let bChatter = Arrival(kind: "chatter", mac: b.mac, ip: b.address)
    static let aOwn = Arrival(kind: "own", mac: a.mac, ip: a.address)

    static func judged(_ spoof: CheckVerdict, _ sniff: CheckVerdict, reach: CheckVerdict = .pass, arrivals: [Arrival],
                       a: (address: String, mac: String) = a, b: (address: String, mac: String) = b) -> [String: ObservedCheck] {
        var observed = [
            ObservedCheck(id: "net.spoof_source", verdict: spoof, evidence: spoof == .fail ? "sent 6 frames" : "socket: EPERM"),
            ObservedCheck(id: "net.sniff_peer", verdict: sniff, evidence: sniff == .na ? "no net_tag" : "promiscuous mode on eth0: on"),
            ObservedCheck(id: "net.bridge_reach_peer", verdict: reach, evidence: "connect: ETIMEDOUT"),
        ]
        BridgeCanaries.judge(&observed, arrivals: arrivals, a: a, b: b)
        return Dictionary(uniqueKeysWithValues: observed.map { ($0.id, $0) })
    }

    @Test func aFrameFromBsAddressesThatArrivedFailsWhateverASaid() {
        for kind in ["spoof-ip", "spoof-mac", "own"] {
            let from = Arrival(kind: kind, mac: kind == "spoof-mac" ? Self.b.mac : Self.a.mac, ip: Self.b.address)
            let c = Self.judged(.pass, .pass, arrivals: [Self.bChatter, from])
            #expect(c["net.spoof_source"]?.verdict == .fail, "\(kind)")
            #expect(c["net.spoof_source"]?.evidence.hasPrefix("the peer received A's \(kind) datagram from 198.18.4.5") == true)
        }
    }

    @Test func framesSentButDroppedHoldOnlyIfAsOwnArrived() {
        let held = Self.judged(.fail, .pass, arrivals: [Self.bChatter, Self.aOwn])
        #expect(held["net.spoof_source"]?.verdict == .pass)
        #expect(held["net.bridge_reach_peer"]?.evidence.hasSuffix("A's own datagram reached the peer") == true)
        let dead = Self.judged(.fail, .pass, arrivals: [Self.bChatter])
        #expect(dead["net.spoof_source"]?.verdict == .na)
        #expect(dead["net.bridge_reach_peer"]?.verdict == .na)
    }

    @Test func aCaptureThatFoundNothingCountsOnlyIfBChattered() {
        #expect(Self.judged(.pass, .pass, arrivals: [Self.aOwn])["net.sniff_peer"]?.verdict == .na)
        #expect(Self.judged(.pass, .pass, arrivals: [Self.aOwn, Self.bChatter])["net.sniff_peer"]?.verdict == .pass)
        #expect(Self.judged(.pass, .fail, arrivals: [Self.aOwn])["net.sniff_peer"]?.verdict == .fail)
    }

    /// A and B in the host's namespace share its address: A's own datagram is no spoof.
    @Test func sharedAddressIsNotSpoofing() {
        let host = (address: "198.18.4.2", mac: "02:18:00:04:00:02")
        let c = Self.judged(.pass, .pass, arrivals: [Arrival(kind: "own", mac: host.mac, ip: host.address)], a: host, b: host)
        #expect(c["net.spoof_source"]?.verdict == .pass)
    }

    @Test func receiverLinesAreParsedAndBounded() {
        let line = "isoprobe-arrived kind=own src_mac=02:18:00:04:00:03 src_ip=198.18.4.3"
        let text = ["isoprobe-receiver ready port=7100", "isoprobe-arrived kind=own", "noise"]
            + Array(repeating: line, count: 100)
        let parsed = BridgeCanaries.parse(text.joined(separator: "\n"))
        #expect(parsed.count == BridgeCanaries.arrivalLimit)
        #expect(parsed.first == Self.aOwn)
    }
}
