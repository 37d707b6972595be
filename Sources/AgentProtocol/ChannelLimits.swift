/// What a reader holds and tolerates for the other end of an agent channel. The host reads a
/// guest, and a guest is untrusted: whatever it sends, these bound the memory and the work the
/// host spends on it. A writer that breaks a bound breaks the channel: the reader reports it
/// once (`AgentEvent.channelBroken`) and reads nothing more from it.
///
/// The frame syntax bounds a single line (`FrameFormat`: 3,072 bytes a frame line, 2,160
/// payload bytes a chunk, 65,536 chunks a message). The limits here bound what lines add up to.
public struct ChannelLimits: Sendable, Equatable {
    /// Bytes of one message put back together. A run's result is tens of KB; its output is
    /// capped by the agent at 1 MiB.
    public var maxMessageBytes = 16 << 20
    /// Chunk payload bytes held for incomplete messages, all sessions together. A correct
    /// writer has one message in flight at a time.
    public var maxBufferedBytes = 16 << 20
    /// Incomplete messages held at once, all sessions together.
    public var maxPendingMessages = 16
    /// Writer sessions tracked. An agent that restarts opens one more.
    public var maxSessions = 8
    /// Nesting of arrays and objects in a message's JSON payload. A result nests 6 deep.
    public var maxJSONDepth = 32
    /// A console line (text outside frames) longer than this is cut into pieces.
    public var maxConsoleLineLength = 1 << 16
    /// The most missing chunk indexes one loss report lists (it also gives their number).
    public var maxReportedChunks = 32
    /// Delivered sequence numbers remembered per session, to tell a duplicate from a new
    /// message. A frame older than this many messages is dropped as stale.
    public var rememberedMessages = 1024

    /// What a channel may spend on damage before it counts as broken, since the reader's
    /// last `startBudget()`: nil for no limit.
    public var budget: Budget?

    public struct Budget: Sendable, Equatable {
        /// Bytes of text outside frames. The agent port carries frames only.
        public var consoleBytes = 1 << 20
        /// Frames that arrived damaged, or contradicted their message's earlier chunks.
        public var corruptFrames = 64
        /// Messages lost whole or in part.
        public var lostMessages = 64
        /// Whole, intact messages that do not decode (host and agent are one build).
        public var unreadableMessages = 0

        public init() {}
    }

    /// Memory bounds only: damage is reported and reading goes on (tests of damage, tools).
    public init() {}

    /// A limit in bytes as the errors say it: "16 MiB", "64 KiB".
    static func words(bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
    }

    /// For a guest's agent channel: memory bounds and a damage budget.
    public static var guest: ChannelLimits {
        var limits = ChannelLimits()
        limits.budget = Budget()
        return limits
    }
}
