import Foundation

extension AgentChannel {
    /// Bytes in, `AgentEvent`s out: `FrameDecoder`, then `MessageAssembler`, then JSON.
    public struct Reader: Sendable {
        private var decoder: FrameDecoder
        private var assembler = MessageAssembler()
        public private(set) var statistics = Statistics()

        public init(maxLineLength: Int = 1 << 16) {
            decoder = FrameDecoder(maxLineLength: maxLineLength)
        }

        public mutating func feed(_ data: Data) -> [AgentEvent] {
            statistics.bytes += data.count
            return events(decoder.feed(data))
        }

        public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [AgentEvent] where Bytes.Element == UInt8 {
            let array = Array(bytes)
            statistics.bytes += array.count
            return events(decoder.feed(array))
        }

        /// The stream ended: the last unfinished line, and every message still incomplete.
        public mutating func finish() -> [AgentEvent] {
            var out = events(decoder.finish())
            for a in assembler.finish() { out += event(a) }
            return out
        }

        /// Reads `fileDescriptor` until end of stream (then `finish()`es) or until `handler`
        /// returns false: then no more bytes are read, but the events already decoded from the
        /// last read are still handed over. Returns true at end of stream.
        @discardableResult
        public mutating func read(fileDescriptor fd: Int32, bufferSize: Int = 64 << 10,
                                  _ handler: (AgentEvent) throws -> Bool) throws -> Bool {
            var buffer = [UInt8](repeating: 0, count: max(bufferSize, 1))
            while true {
                let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AgentProtocolError.io(operation: "read", errno: errno)
                }
                let batch = n == 0 ? finish() : buffer.withUnsafeBytes { bytes in
                    statistics.bytes += n
                    return events(decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<n])))
                }
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
                    out.append(.consoleLine(line))
                case .damagedFrame(_, let seq, let damage):
                    statistics.corruptFrames += 1
                    out.append(.corruptFrame(seq: seq, reason: damage))
                case .frame(let frame):
                    statistics.frames += 1
                    for a in assembler.add(frame) { out += event(a) }
                }
            }
            return out
        }

        private mutating func event(_ a: MessageAssembler.Output) -> [AgentEvent] {
            switch a {
            case .message(let m):
                do {
                    let message = try AgentMessage(type: m.type, payload: m.payload)
                    statistics.messages += 1
                    return [.message(message)]
                } catch {
                    statistics.unreadableMessages += 1
                    return [.unreadableMessage(seq: m.seq, type: m.type, reason: "\(error)")]
                }
            case .missingChunks(_, let seq, let type, let missing, let count):
                statistics.lostSequences.append(seq...seq)
                return [.missingChunks(seq: seq, type: type, missing: missing, count: count)]
            case .missingMessages(_, let seqs):
                statistics.lostSequences.append(seqs)
                return [.missingMessages(seqs)]
            case .inconsistent(_, let seq, let damage):
                statistics.corruptFrames += 1
                return [.corruptFrame(seq: seq, reason: damage)]
            case .duplicate:
                statistics.duplicateFrames += 1
                return []
            }
        }
    }
}
