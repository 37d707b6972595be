/// What a host learns from the agent's byte stream, in stream order.
///
/// Loss is reported on two levels: `corruptFrame` for each frame line that arrived damaged
/// (a diagnostic: its `seq` is only what the damaged header claims), and `missingMessages` /
/// `missingChunks` for each message that did not arrive whole (authoritative: these sequence
/// numbers are the ones lost, whatever the cause, a damaged line or one that never came). A
/// single damaged line of a one-frame message therefore shows up as both.
public enum AgentEvent: Sendable, Equatable, CustomStringConvertible {
    case message(AgentMessage)
    /// A line that was not a frame: kernel messages, init output. For the host's log.
    case consoleLine(String)
    case corruptFrame(seq: UInt32?, reason: FrameDamage)
    /// Some chunks of message `seq` arrived, `missingCount` of its `count` did not; `missing`
    /// lists the first of them (0-based). The message is dropped.
    case missingChunks(seq: UInt32, type: String, missing: [Int], missingCount: Int, count: Int)
    /// Messages of which nothing arrived, found from the gap before a later one.
    case missingMessages(ClosedRange<UInt32>)
    /// A whole, intact message this build cannot read: a type it does not know or a payload
    /// that does not decode (agent and host from different builds).
    case unreadableMessage(seq: UInt32, type: String, reason: String)
    /// The writer passed one of the reader's `ChannelLimits`; the reader reads nothing more
    /// from it. The last event of a stream.
    case channelBroken(String)

    public var description: String {
        switch self {
        case .message(let m):
            return "message \(m.kind.rawValue)"
        case .consoleLine(let line):
            return "console: \(line)"
        case .corruptFrame(let seq, let reason):
            return "corrupt frame (seq \(seq.map(String.init) ?? "unreadable")): \(reason)"
        case .missingChunks(let seq, let type, let missing, let missingCount, let count):
            let listed = missing.map(String.init).joined(separator: ",") + (missingCount > missing.count ? ",..." : "")
            return "message \(seq) (\(type)) dropped: \(missingCount) of \(count) chunks missing (\(listed))"
        case .missingMessages(let seqs):
            return seqs.count == 1 ? "message \(seqs.lowerBound) lost" : "messages \(seqs.lowerBound)-\(seqs.upperBound) lost"
        case .unreadableMessage(let seq, let type, let reason):
            return "message \(seq) (\(type)) unreadable: \(reason)"
        case .channelBroken(let reason):
            return "channel broken: \(reason)"
        }
    }
}
