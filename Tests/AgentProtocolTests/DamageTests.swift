import Foundation
@testable import AgentProtocol
import Testing

/// Frames damaged on the wire: reported, never mis-decoded, and the stream goes on.
@Suite struct DamageTests {
    static let messages: [AgentMessage] = [.ready, .log("before"), .log("the victim"), .log("after"), .bye]

    /// A kernel line (with its newline) spliced into the middle of a frame line, at every
    /// position: the frame is reported corrupt, its message lost, the kernel's text reaches the
    /// console, and later frames decode.
    @Test func kernelLineSplicedIntoAFrame() throws {
        let lines = try Fixtures.lines(Self.messages).joined().map { $0 }
        let victim = lines[2]
        let kernel = "[   42.000000] rcu: INFO: rcu_sched self-detected stall on CPU"
        for k in 1..<(victim.count - 1) {
            var stream = Data(lines[0] + lines[1])
            stream += victim.prefix(k) + Data((kernel + "\n").utf8) + victim.dropFirst(k)
            stream += lines[3] + lines[4]
            let (events, stats) = Fixtures.read(stream)
            let delivered = Fixtures.messages(in: events)
            #expect(delivered == [.ready, .log("before"), .log("after"), .bye], "split at \(k)")
            #expect(stats.lostSequences == [2...2], "split at \(k)")
            if k >= FrameFormat.startMarker.utf8.count {
                // The line began as a frame: reported damaged, and the kernel text is recovered.
                #expect(stats.corruptFrames == 1, "split at \(k)")
                #expect(Fixtures.consoleLines(in: events).contains(kernel), "split at \(k)")
            }
        }
    }

    /// The same without a newline (a kernel continuation line): the rest of the frame follows
    /// on the same line.
    @Test func kernelTextWithoutNewlineInsideAFrame() throws {
        let lines = try Fixtures.lines(Self.messages).joined().map { $0 }
        let victim = lines[2]
        for k in stride(from: 11, to: victim.count - 1, by: 3) {
            let stream = Data(lines[0] + lines[1]) + victim.prefix(k) + Data("[ 7.1] cont ".utf8) + victim.dropFirst(k)
                + lines[3] + lines[4]
            let (events, stats) = Fixtures.read(stream)
            #expect(Fixtures.messages(in: events) == [.ready, .log("before"), .log("after"), .bye], "split at \(k)")
            #expect(stats.corruptFrames == 1 && stats.lostSequences == [2...2], "split at \(k)")
        }
    }

    /// Every single-bit flip anywhere in a frame line: the message is delivered intact (the
    /// flip hit only its newline) or reported lost; its neighbours always arrive.
    @Test func everyBitFlipIsCaught() throws {
        let lines = try Fixtures.lines(Self.messages).joined().map { $0 }
        let victim = lines[2]
        var caughtByChecksum = 0, intact = 0
        for bit in 0..<(victim.count * 8) {
            var flipped = victim
            flipped[flipped.startIndex + bit / 8] ^= UInt8(1 << (bit % 8))
            let (events, stats) = Fixtures.read(Data(lines[0] + lines[1] + flipped + lines[3] + lines[4]))
            let delivered = Fixtures.messages(in: events)
            if delivered.count == 5 {
                // Only flips that change no byte of the frame's content: in its newline, or in
                // the bits a base64 character before padding leaves unused.
                #expect(delivered == Self.messages, "bit \(bit)")
                intact += 1
            } else {
                #expect(delivered == [.ready, .log("before"), .log("after"), .bye], "bit \(bit)")
                #expect(stats.lostSequences == [2...2], "bit \(bit)")
            }
            if events.contains(where: { if case .corruptFrame(_, .checksumMismatch) = $0 { true } else { false } }) {
                caughtByChecksum += 1
            }
        }
        // Flips that keep a valid syntax (digits to digits, base64 to base64) are the CRC's to catch.
        #expect(caughtByChecksum > victim.count)
        #expect(intact <= 8 + 4, "\(intact) flips left the message intact")
    }

    @Test func payloadFlipIsAChecksumMismatch() throws {
        let line = try Fixtures.lines([.log("a payload to damage")]).joined().first!
        var text = String(decoding: line, as: UTF8.self)
        let payloadStart = text.range(of: ":", options: .backwards)!.upperBound
        let i = text.index(payloadStart, offsetBy: 4)
        // Swap one base64 letter for another of the same class so the syntax stays valid.
        let replacement: Character = text[i] == "A" ? "B" : "A"
        text.replaceSubrange(i...i, with: String(replacement))
        let (events, _) = Fixtures.read(Data(text.utf8))
        guard case .corruptFrame(let seq, .checksumMismatch)? = events.first else {
            Issue.record("expected a checksum mismatch, got \(events)")
            return
        }
        #expect(seq == 0)
    }

    @Test func headerFlipIsCaughtToo() throws {
        // A sequence number changed from 1 to 3: the payload is intact, the CRC covers the header.
        let lines = try Fixtures.lines([.log("zero"), .log("one"), .log("two")]).joined().map { $0 }
        let tampered = String(decoding: lines[1], as: UTF8.self).replacingOccurrences(of: ":1:log:", with: ":3:log:")
        let (events, _) = Fixtures.read(Data(lines[0]) + Data(tampered.utf8) + lines[2])
        #expect(Fixtures.messages(in: events) == [.log("zero"), .log("two")])
        #expect(events.contains { if case .corruptFrame(3, .checksumMismatch) = $0 { true } else { false } })
    }

    @Test func truncatedLineAndMissingEndMarker() throws {
        let lines = try Fixtures.lines([.log("zero"), .log("one")]).joined().map { $0 }
        let cut = lines[0].prefix(lines[0].count / 2) + Data("\n".utf8)
        let (events, _) = Fixtures.read(Data(cut) + lines[1])
        #expect(events.first == .corruptFrame(seq: 0, reason: .truncated))
        #expect(events.contains(.missingMessages(0...0)))
        #expect(Fixtures.messages(in: events) == [.log("one")])
    }

    @Test func frameStartingBeforeTheLastOneEnded() throws {
        // Two frames on one line, the first cut before its end marker.
        let lines = try Fixtures.lines([.log("zero"), .log("one")]).joined().map { $0 }
        let stream = Data(lines[0].prefix(40)) + lines[1]
        let (events, _) = Fixtures.read(stream)
        #expect(events.first == .corruptFrame(seq: 0, reason: .truncated))
        #expect(Fixtures.messages(in: events) == [.log("one")])
    }

    @Test func sequenceGapsAreReported() throws {
        let messages: [AgentMessage] = (0..<8).map { .log("message \($0)") }
        let lines = try Fixtures.lines(messages).joined().map { $0 }
        // 2 and 3 never arrive; 6 is the last to arrive, 7 is lost at the end (undetectable
        // without a bye: the reader cannot know a message was meant to follow).
        let kept = [0, 1, 4, 5, 6]
        let (events, stats) = Fixtures.read(Data(kept.map { lines[$0] }.joined()))
        #expect(events == [.message(messages[0]), .message(messages[1]), .missingMessages(2...3),
                           .message(messages[4]), .message(messages[5]), .message(messages[6])])
        #expect(stats.lostSequences == [2...3] && stats.lostMessageCount == 2)
    }

    @Test func lostHelloIsAGapFromZero() throws {
        let lines = try Fixtures.lines([Fixtures.hello, .ready]).joined().map { $0 }
        let (events, _) = Fixtures.read(Data(lines[1]))
        #expect(events == [.missingMessages(0...0), .message(.ready)])
    }

    @Test func missingChunksAreNamed() throws {
        let big = AgentMessage.result(Fixtures.result(syscalls: 20))
        let all = try Fixtures.lines([.ready, big, big, .bye], chunkSize: 1000)
        #expect(all[1].count >= 5)
        var stream = Data(all[0].joined())
        // Message 1 loses chunks 1 and 3; message 2 loses its last chunk, noticed at bye.
        stream += Data(all[1].enumerated().filter { $0.offset != 1 && $0.offset != 3 }.map(\.element).joined())
        stream += Data(all[2].dropLast().joined())
        stream += Data(all[3].joined())
        let (events, stats) = Fixtures.read(stream)
        let count = all[1].count
        #expect(events == [.message(.ready),
                           .missingChunks(seq: 1, type: "result", missing: [1, 3], missingCount: 2, count: count),
                           .missingChunks(seq: 2, type: "result", missing: [count - 1], missingCount: 1, count: count),
                           .message(.bye)])
        #expect(stats.lostSequences == [1...1, 2...2])
    }

    @Test func incompleteMessageAtTheEndIsReportedByFinish() throws {
        let all = try Fixtures.lines([.result(Fixtures.result(syscalls: 10))], chunkSize: 1000)
        var reader = AgentChannel.Reader()
        let fed = reader.feed(Data(all[0].dropLast().joined()))
        #expect(fed.isEmpty)
        #expect(reader.finish() == [.missingChunks(seq: 0, type: "result", missing: [all[0].count - 1], missingCount: 1, count: all[0].count)])
    }

    @Test func inconsistentChunkCountIsCorrupt() throws {
        // Intact frames that disagree about their message (only a broken writer does this).
        let a = Frame(session: 1, seq: 0, type: "log", chunkIndex: 0, chunkCount: 2, payload: Data("{\"li".utf8))
        let b = Frame(session: 1, seq: 0, type: "log", chunkIndex: 1, chunkCount: 3, payload: Data("ne\":\"x\"}".utf8))
        let (events, _) = Fixtures.read(a.encodedLine() + b.encodedLine())
        #expect(events.first.map { if case .corruptFrame(0, .inconsistentChunk) = $0 { true } else { false } } == true)
        #expect(Fixtures.messages(in: events).isEmpty)
    }
}
