import Foundation

/// Puts intact frames back together into message payloads, and says which messages were
/// lost: sequence numbers never seen (a gap), and messages with chunks missing.
///
/// v1 policy, for a writer that sends messages one after another without retransmission: a
/// message is given up on as soon as an intact frame of a later message of the same session
/// arrives, or at `finish()`. Messages are tracked per session, so a restarted writer starts
/// its own numbering. A message that arrives after being reported lost (a future
/// retransmission) is still delivered; a message delivered once is not delivered again.
/// The sequence numbers and chunk indexes in the loss reports are what a retransmission
/// request would name.
///
/// Everything it holds is bounded by `ChannelLimits`: sessions, incomplete messages, their
/// bytes, the delivered sequence numbers it remembers and the length of a loss report. A
/// frame that would pass a bound is refused with `overLimit`, and the caller stops trusting
/// the writer.
public struct MessageAssembler: Sendable {
    public struct Message: Sendable, Equatable {
        public var session: UInt32
        public var seq: UInt32
        public var type: String
        public var payload: Data
    }

    public enum Output: Sendable, Equatable {
        case message(Message)
        /// A message of which some chunks arrived and `missingCount` did not: `missing` lists
        /// the first of them (0-based, at most `ChannelLimits.maxReportedChunks`).
        case missingChunks(session: UInt32, seq: UInt32, type: String, missing: [Int], missingCount: Int, count: Int)
        /// Messages of which no chunk arrived.
        case missingMessages(session: UInt32, seqs: ClosedRange<UInt32>)
        /// An intact frame that contradicts its message's earlier chunks.
        case inconsistent(session: UInt32, seq: UInt32, damage: FrameDamage)
        /// An intact frame of a message already delivered (or too old to tell).
        case duplicate(session: UInt32, seq: UInt32, chunk: Int)
        /// The frame would pass one of the limits; it was dropped.
        case overLimit(String)
    }

    struct Partial: Sendable {
        var type: String
        var count: Int
        var chunks: [Int: Data] = [:]
        var bytes = 0
    }

    struct SessionState: Sendable {
        /// One past the highest sequence number seen.
        var next: UInt32 = 0
        var pending: [UInt32: Partial] = [:]
        /// The last `rememberedMessages` delivered, as a set and in delivery order.
        var delivered: Set<UInt32> = []
        var deliveryOrder: [UInt32] = []
        var oldestDelivery = 0
    }

    public let limits: ChannelLimits
    private var sessions: [UInt32: SessionState] = [:]
    /// Sessions in the order they first appeared, so `finish()` reports deterministically.
    private var sessionOrder: [UInt32] = []
    private var pendingMessages = 0
    /// Payload bytes held in incomplete messages.
    public private(set) var bufferedBytes = 0

    public init(limits: ChannelLimits = ChannelLimits()) {
        self.limits = limits
    }

    public mutating func add(_ frame: Frame) -> [Output] {
        let s = frame.session, seq = frame.seq
        if sessions[s] == nil {
            guard sessions.count < limits.maxSessions else {
                return [.overLimit("frames of more than \(limits.maxSessions) writer sessions")]
            }
            sessions[s] = SessionState()
            sessionOrder.append(s)
        }
        var state = sessions[s]!
        defer { sessions[s] = state }
        var out: [Output] = []

        if state.delivered.contains(seq) || isStale(seq, state) {
            return [.duplicate(session: s, seq: seq, chunk: frame.chunkIndex)]
        }
        // Every earlier message still waiting for chunks will not get them (v1: in-order writer).
        for p in state.pending.keys.sorted() where p < seq {
            if let partial = state.pending.removeValue(forKey: p) {
                release(partial)
                out.append(missing(session: s, seq: p, partial))
            }
        }
        if seq >= state.next {
            if seq > state.next { out.append(.missingMessages(session: s, seqs: state.next...(seq - 1))) }
            state.next = seq &+ 1
        }

        var partial: Partial
        if let held = state.pending[seq] {
            partial = held
        } else {
            guard pendingMessages < limits.maxPendingMessages else {
                out.append(.overLimit("more than \(limits.maxPendingMessages) incomplete messages at once"))
                return out
            }
            partial = Partial(type: frame.type, count: frame.chunkCount)
        }
        guard partial.count == frame.chunkCount, partial.type == frame.type else {
            out.append(.inconsistent(session: s, seq: seq, damage: .inconsistentChunk(
                "\(frame.type) chunk \(frame.chunkIndex)/\(frame.chunkCount), earlier chunks say \(partial.type) of \(partial.count)")))
            return out
        }
        if partial.chunks[frame.chunkIndex] != nil {
            out.append(.duplicate(session: s, seq: seq, chunk: frame.chunkIndex))
            return out
        }
        guard partial.bytes + frame.payload.count <= limits.maxMessageBytes else {
            out.append(.overLimit("message \(seq) (\(frame.type)) is over \(ChannelLimits.words(bytes: limits.maxMessageBytes))"))
            return out
        }
        guard bufferedBytes + frame.payload.count <= limits.maxBufferedBytes else {
            out.append(.overLimit("incomplete messages hold over \(ChannelLimits.words(bytes: limits.maxBufferedBytes))"))
            return out
        }
        if state.pending[seq] == nil { pendingMessages += 1 }
        partial.chunks[frame.chunkIndex] = frame.payload
        partial.bytes += frame.payload.count
        bufferedBytes += frame.payload.count
        if partial.chunks.count == partial.count {
            state.pending[seq] = nil
            release(partial)
            remember(seq, in: &state)
            var payload = Data(capacity: partial.bytes)
            for i in 0..<partial.count { payload.append(partial.chunks[i]!) }
            out.append(.message(Message(session: s, seq: seq, type: partial.type, payload: payload)))
        } else {
            state.pending[seq] = partial
        }
        return out
    }

    /// The stream ended: every message still waiting for chunks is reported. Messages lost
    /// after the last one that arrived cannot be known here (the protocol's `bye` says the
    /// writer finished).
    public mutating func finish() -> [Output] {
        var out: [Output] = []
        for s in sessionOrder {
            guard var state = sessions[s] else { continue }
            for seq in state.pending.keys.sorted() {
                if let partial = state.pending.removeValue(forKey: seq) {
                    release(partial)
                    out.append(missing(session: s, seq: seq, partial))
                }
            }
            sessions[s] = state
        }
        return out
    }

    /// Below the window of remembered deliveries: delivered long ago, or lost long ago.
    private func isStale(_ seq: UInt32, _ state: SessionState) -> Bool {
        state.next > UInt32(limits.rememberedMessages) && seq < state.next - UInt32(limits.rememberedMessages)
            && state.pending[seq] == nil
    }

    private mutating func release(_ partial: Partial) {
        pendingMessages -= 1
        bufferedBytes -= partial.bytes
    }

    private func remember(_ seq: UInt32, in state: inout SessionState) {
        state.delivered.insert(seq)
        if state.deliveryOrder.count < limits.rememberedMessages {
            state.deliveryOrder.append(seq)
        } else {
            state.delivered.remove(state.deliveryOrder[state.oldestDelivery])
            state.deliveryOrder[state.oldestDelivery] = seq
            state.oldestDelivery = (state.oldestDelivery + 1) % state.deliveryOrder.count
        }
    }

    /// The loss report of an incomplete message: the first missing indexes found by walking
    /// from 0, which costs at most the chunks held plus the indexes listed.
    private func missing(session: UInt32, seq: UInt32, _ partial: Partial) -> Output {
        var listed: [Int] = []
        var i = 0
        while i < partial.count && listed.count < limits.maxReportedChunks {
            if partial.chunks[i] == nil { listed.append(i) }
            i += 1
        }
        return .missingChunks(session: session, seq: seq, type: partial.type, missing: listed,
                              missingCount: partial.count - partial.chunks.count, count: partial.count)
    }
}
