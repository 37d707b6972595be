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
public struct MessageAssembler: Sendable {
    public struct Message: Sendable, Equatable {
        public var session: UInt32
        public var seq: UInt32
        public var type: String
        public var payload: Data
    }

    public enum Output: Sendable, Equatable {
        case message(Message)
        /// A message of which some chunks arrived and these did not (0-based indexes).
        case missingChunks(session: UInt32, seq: UInt32, type: String, missing: [Int], count: Int)
        /// Messages of which no chunk arrived.
        case missingMessages(session: UInt32, seqs: ClosedRange<UInt32>)
        /// An intact frame that contradicts its message's earlier chunks.
        case inconsistent(session: UInt32, seq: UInt32, damage: FrameDamage)
        /// An intact frame of a message already delivered.
        case duplicate(session: UInt32, seq: UInt32, chunk: Int)
    }

    struct Partial: Sendable {
        var type: String
        var count: Int
        var chunks: [Int: Data] = [:]
    }

    struct SessionState: Sendable {
        /// One past the highest sequence number seen.
        var next: UInt32 = 0
        var pending: [UInt32: Partial] = [:]
        var delivered: Set<UInt32> = []
    }

    private var sessions: [UInt32: SessionState] = [:]
    /// Sessions in the order they first appeared, so `finish()` reports deterministically.
    private var sessionOrder: [UInt32] = []

    public init() {}

    public mutating func add(_ frame: Frame) -> [Output] {
        var out: [Output] = []
        if sessions[frame.session] == nil {
            sessions[frame.session] = SessionState()
            sessionOrder.append(frame.session)
        }
        var state = sessions[frame.session]!
        defer { sessions[frame.session] = state }
        let s = frame.session, seq = frame.seq

        if state.delivered.contains(seq) {
            return [.duplicate(session: s, seq: seq, chunk: frame.chunkIndex)]
        }
        // Every earlier message still waiting for chunks will not get them (v1: in-order writer).
        for p in state.pending.keys.sorted() where p < seq {
            if let partial = state.pending.removeValue(forKey: p) {
                out.append(Self.missing(session: s, seq: p, partial))
            }
        }
        if seq >= state.next {
            if seq > state.next { out.append(.missingMessages(session: s, seqs: state.next...(seq - 1))) }
            state.next = seq &+ 1
        }

        var partial = state.pending[seq] ?? Partial(type: frame.type, count: frame.chunkCount)
        guard partial.count == frame.chunkCount, partial.type == frame.type else {
            out.append(.inconsistent(session: s, seq: seq, damage: .inconsistentChunk(
                "\(frame.type) chunk \(frame.chunkIndex)/\(frame.chunkCount), earlier chunks say \(partial.type) of \(partial.count)")))
            return out
        }
        if partial.chunks[frame.chunkIndex] != nil {
            out.append(.duplicate(session: s, seq: seq, chunk: frame.chunkIndex))
            return out
        }
        partial.chunks[frame.chunkIndex] = frame.payload
        if partial.chunks.count == partial.count {
            state.pending[seq] = nil
            state.delivered.insert(seq)
            var payload = Data(capacity: partial.chunks.values.reduce(0) { $0 + $1.count })
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
                    out.append(Self.missing(session: s, seq: seq, partial))
                }
            }
            sessions[s] = state
        }
        return out
    }

    private static func missing(session: UInt32, seq: UInt32, _ partial: Partial) -> Output {
        .missingChunks(session: session, seq: seq, type: partial.type,
                       missing: (0..<partial.count).filter { partial.chunks[$0] == nil }, count: partial.count)
    }
}
