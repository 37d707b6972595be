/// The agent's messages over a byte stream: `Writer` on the guest side, `Reader` on the
/// host's (and the other way for `run` requests, when a channel exists that way).
///
/// The stream may be shared with a console (the guest's ttyS0, where the kernel prints too):
/// frames are lines that survive console text around them and detect text inside them. v1
/// detects loss and does not repair it; sequence numbers and chunk indexes in the reports
/// are what a later retransmission request would name (`FrameEncoder.frames(session:seq:...)`
/// re-creates any chunk).
public enum AgentChannel {
    /// What a reader saw, for the host's report.
    public struct Statistics: Sendable, Equatable {
        public var bytes = 0
        public var consoleLines = 0
        /// Intact frames.
        public var frames = 0
        public var corruptFrames = 0
        /// Intact frames of messages already delivered (or chunks already held).
        public var duplicateFrames = 0
        public var messages = 0
        public var unreadableMessages = 0
        /// Sequence numbers of messages lost whole or in part, in the order reported: the
        /// first `maxLostRanges` ranges (`lostMessageCount` counts them all).
        public var lostSequences: [ClosedRange<UInt32>] = []
        public var lostMessageCount = 0
        /// Bytes of console lines (text outside frames).
        public var consoleBytes = 0

        public static let maxLostRanges = 64

        public init() {}

        mutating func lost(_ seqs: ClosedRange<UInt32>) {
            lostMessageCount += seqs.count
            if lostSequences.count < Self.maxLostRanges { lostSequences.append(seqs) }
        }
    }
}
