import Foundation

/// Numbers messages and cuts them into frames. One encoder per writer: the session and the
/// sequence counter are what a reader tracks losses by.
public struct FrameEncoder: Sendable {
    public let session: UInt32
    /// The sequence number the next message gets.
    public private(set) var nextSequence: UInt32
    /// Payload bytes per frame (before base64).
    public let chunkSize: Int

    public init(session: UInt32 = UInt32.random(in: .min ... .max), firstSequence: UInt32 = 0,
                chunkSize: Int = FrameFormat.defaultChunkSize) {
        precondition(chunkSize >= 1 && chunkSize <= FrameFormat.maxChunkSize,
                     "chunk size \(chunkSize) outside 1...\(FrameFormat.maxChunkSize)")
        self.session = session
        self.nextSequence = firstSequence
        self.chunkSize = chunkSize
    }

    /// The next message's frames; takes its sequence number.
    public mutating func frames(type: String, payload: Data) throws -> [Frame] {
        let frames = try Self.frames(session: session, seq: nextSequence, type: type, payload: payload,
                                     chunkSize: chunkSize)
        nextSequence &+= 1
        return frames
    }

    /// The next message's lines, each ending in "\n"; takes its sequence number.
    public mutating func lines(type: String, payload: Data) throws -> [Data] {
        try frames(type: type, payload: payload).map { $0.encodedLine() }
    }

    /// The frames of message `seq`, without touching any counter: the same inputs give the
    /// same frames, so a later retransmission can re-create any chunk a reader reports missing.
    public static func frames(session: UInt32, seq: UInt32, type: String, payload: Data,
                              chunkSize: Int = FrameFormat.defaultChunkSize) throws -> [Frame] {
        guard FrameFormat.isValidType(type) else { throw AgentProtocolError.invalidType(type) }
        let count = max(1, (payload.count + chunkSize - 1) / chunkSize)
        guard count <= FrameFormat.maxChunkCount else {
            throw AgentProtocolError.messageTooLarge(bytes: payload.count,
                                                     limit: FrameFormat.maxChunkCount * chunkSize)
        }
        return (0..<count).map { index in
            let start = payload.startIndex + index * chunkSize
            let end = min(start + chunkSize, payload.endIndex)
            return Frame(session: session, seq: seq, type: type, chunkIndex: index, chunkCount: count,
                         payload: Data(payload[start..<end]))
        }
    }
}
