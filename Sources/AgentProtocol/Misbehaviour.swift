import Foundation

/// A test-only agent that breaks the protocol on purpose, answering a run request (of a
/// plan's first repetition) with what
/// a hostile guest could send: it shows that the host's side stays bounded and ends the run
/// with one error. It writes until the channel closes (the host hangs up, or kills the guest).
/// Chosen by `isoprobe agent --serve --misbehave MODE`, or inside a guest by
/// `$ISOPROBE_AGENT_MISBEHAVE` on the host (the guest's init passes it on).
public enum Misbehaviour: String, CaseIterable, Sendable {
    /// Frames of ever new messages that claim 65,536 chunks and bring one: each abandons the
    /// last, and each loss report would list every missing chunk.
    case abandon
    /// One message declaring 65,536 full chunks, all sent: 141 MB if it were held.
    case huge
    /// `x` lines without end.
    case console
    /// `x` without a line end, ever.
    case endlessLine = "endless-line"
    /// A result whose JSON nests 100,000 deep.
    case deepJSON = "deep-json"
    /// A result that is not UTF-8.
    case badUTF8 = "bad-utf8"
    /// Valid frames from a new writer session each.
    case sessions
    /// Valid heartbeats as fast as the channel takes them.
    case heartbeats

    /// The variable the host passes into its guests' init.
    public static let environmentVariable = "ISOPROBE_AGENT_MISBEHAVE"

    /// Writes this misbehaviour to `fd` until a write fails.
    public func perform(on fd: Int32) {
        let x = Data(repeating: UInt8(ascii: "x"), count: 4096)
        // Each mode writes as its own session, numbering from 0 as an agent does.
        var seq: UInt32 = 0
        var session: UInt32 = 0x1000_0000
        let count = FrameFormat.maxChunkCount
        while true {
            let bytes: Data
            switch self {
            case .abandon:
                defer { seq += 1 }
                bytes = Frame(session: 1, seq: seq, type: "result", chunkIndex: 0, chunkCount: count,
                              payload: Data("{".utf8)).encodedLine()
            case .huge:
                let chunk = Data(repeating: UInt8(ascii: " "), count: FrameFormat.maxChunkSize)
                var lines = Data()
                for i in 0..<count {
                    lines += Frame(session: 2, seq: 0, type: "result", chunkIndex: i, chunkCount: count, payload: chunk).encodedLine()
                    if lines.count > 1 << 20 {
                        guard Self.write(lines, to: fd) else { return }
                        lines.removeAll(keepingCapacity: true)
                    }
                }
                bytes = lines
            case .console:
                bytes = Data(String(repeating: "x\n", count: 2048).utf8)
            case .endlessLine:
                bytes = x
            case .deepJSON:
                defer { seq += 1 }
                let depth = 100_000
                let json = Data(("{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
                bytes = (try? FrameEncoder.frames(session: 3, seq: seq, type: "result", payload: json))
                    .map { $0.reduce(into: Data()) { $0 += $1.encodedLine() } } ?? Data()
            case .badUTF8:
                defer { seq += 1 }
                bytes = Frame(session: 4, seq: seq, type: "result", payload: Data("{\"exit\":\"".utf8) + Data([0xff, 0xfe, 0xc0]) + Data("\"}".utf8)).encodedLine()
            case .sessions:
                session += 1
                bytes = Frame(session: session, seq: 0, type: "heartbeat", payload: Data("{}".utf8)).encodedLine()
            case .heartbeats:
                defer { seq += 1 }
                bytes = Frame(session: 5, seq: seq, type: "heartbeat", payload: Data("{}".utf8)).encodedLine()
            }
            guard Self.write(bytes, to: fd) else { return }
        }
    }

    private static func write(_ data: Data, to fd: Int32) -> Bool {
        (try? AgentChannel.Writer.writeAll(data, to: fd)) != nil
    }
}
