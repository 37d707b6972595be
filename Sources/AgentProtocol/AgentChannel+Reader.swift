import Foundation
import SystemPackage

extension AgentChannel {
    /// Bytes in, `AgentEvent`s out: `FrameDecoder`, then `MessageAssembler`, then JSON.
    ///
    /// What it holds is bounded by its `ChannelLimits` whatever it is fed: the unfinished
    /// line, incomplete messages, the statistics. Once the writer passes a limit or spends
    /// its damage budget, the reader says `channelBroken` and drops everything after.
    public struct Reader: Sendable {
        public let limits: ChannelLimits
        private var decoder: FrameDecoder
        private var assembler: MessageAssembler
        public private(set) var statistics = Statistics()
        /// Why the channel is broken, once it is.
        public private(set) var broken: String?
        /// Statistics when the budget was last started.
        private var budgetStart = Statistics()
        private var lastUnreadable: String?

        public init(limits: ChannelLimits = ChannelLimits()) {
            self.limits = limits
            decoder = FrameDecoder(maxLineLength: limits.maxConsoleLineLength)
            assembler = MessageAssembler(limits: limits)
        }

        /// Damage counts toward the budget from here on (the host starts it at each run).
        public mutating func startBudget() {
            budgetStart = statistics
        }

        public mutating func feed(_ data: Data) -> [AgentEvent] {
            data.withUnsafeBytes { feed($0) }
        }

        public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [AgentEvent] where Bytes.Element == UInt8 {
            Array(bytes).withUnsafeBytes { feed($0) }
        }

        public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [AgentEvent] {
            guard broken == nil else { return [] }
            statistics.bytes += bytes.count
            return events(decoder.feed(bytes))
        }

        /// The stream ended: the last unfinished line, and every message still incomplete.
        public mutating func finish() -> [AgentEvent] {
            guard broken == nil else { return [] }
            var out = events(decoder.finish())
            guard broken == nil else { return out }
            for a in assembler.finish() { out += event(a) }
            return out + overBudget()
        }

        /// Reads `fileDescriptor` until end of stream (then `finish()`es) or until `handler`
        /// returns false: then no more bytes are read, but the events already decoded from the
        /// last read are still handed over. Returns true at end of stream.
        @discardableResult
        public mutating func read(fileDescriptor fd: Int32, bufferSize: Int = 64 << 10,
                                  _ handler: (AgentEvent) throws -> Bool) throws -> Bool {
            var buffer = [UInt8](repeating: 0, count: max(bufferSize, 1))
            while true {
                let n: Int
                do {
                    n = try buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: $0) }
                } catch let error as Errno {
                    throw AgentProtocolError.io(operation: "read", errno: error.rawValue)
                }
                let batch = n == 0 ? finish() : buffer.withUnsafeBytes { feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                var keepGoing = true
                for event in batch {
                    if try !handler(event) { keepGoing = false }
                }
                if n == 0 { return true }
                if !keepGoing { return false }
            }
        }

        private mutating func events(_ outputs: [FrameDecoder.Output]) -> [AgentEvent] {
            var out: [AgentEvent] = []
            for o in outputs {
                switch o {
                case .consoleLine(let line):
                    statistics.consoleLines += 1
                    // The terminator counts: a flood of one-character lines costs an event each.
                    statistics.consoleBytes += line.utf8.count + 1
                    out.append(.consoleLine(line))
                case .damagedFrame(_, let seq, let damage):
                    statistics.corruptFrames += 1
                    out.append(.corruptFrame(seq: seq, reason: damage))
                case .frame(let frame):
                    statistics.frames += 1
                    for a in assembler.add(frame) { out += event(a) }
                }
                out += overBudget()
                if broken != nil { break }
            }
            return out
        }

        private mutating func event(_ a: MessageAssembler.Output) -> [AgentEvent] {
            switch a {
            case .message(let m):
                do {
                    if let depth = JSONDepth.exceeded(in: m.payload, limit: limits.maxJSONDepth) {
                        throw AgentProtocolError.undecodablePayload(type: m.type, reason: "JSON nested over \(depth - 1) deep, the limit")
                    }
                    let message = try AgentMessage(type: m.type, payload: m.payload)
                    statistics.messages += 1
                    return [.message(message)]
                } catch {
                    statistics.unreadableMessages += 1
                    lastUnreadable = "message \(m.seq) (\(m.type)) does not decode: \(error)"
                    return [.unreadableMessage(seq: m.seq, type: m.type, reason: "\(error)")]
                }
            case .missingChunks(_, let seq, let type, let missing, let missingCount, let count):
                statistics.lost(seq...seq)
                return [.missingChunks(seq: seq, type: type, missing: missing, missingCount: missingCount, count: count)]
            case .missingMessages(_, let seqs):
                statistics.lost(seqs)
                return [.missingMessages(seqs)]
            case .inconsistent(_, let seq, let damage):
                statistics.corruptFrames += 1
                return [.corruptFrame(seq: seq, reason: damage)]
            case .duplicate:
                statistics.duplicateFrames += 1
                return []
            case .overLimit(let reason):
                return breakChannel(reason)
            }
        }

        /// `channelBroken` when the writer has spent more than its budget since `startBudget()`.
        private mutating func overBudget() -> [AgentEvent] {
            guard broken == nil, let budget = limits.budget else { return [] }
            let s = statistics, b = budgetStart
            if s.consoleBytes - b.consoleBytes > budget.consoleBytes {
                return breakChannel("over \(ChannelLimits.words(bytes: budget.consoleBytes)) of text that is not frames")
            }
            if s.corruptFrames - b.corruptFrames > budget.corruptFrames {
                return breakChannel("over \(budget.corruptFrames) damaged frames")
            }
            if s.lostMessageCount - b.lostMessageCount > budget.lostMessages {
                return breakChannel("over \(budget.lostMessages) messages lost")
            }
            if s.unreadableMessages - b.unreadableMessages > budget.unreadableMessages {
                let last = lastUnreadable ?? "a message does not decode"
                return breakChannel(budget.unreadableMessages == 0 ? last
                                    : "over \(budget.unreadableMessages) messages do not decode; the last: \(last)")
            }
            return []
        }

        private mutating func breakChannel(_ reason: String) -> [AgentEvent] {
            guard broken == nil else { return [] }
            broken = reason
            return [.channelBroken(reason)]
        }
    }
}
