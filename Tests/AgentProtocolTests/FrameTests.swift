import Foundation
@testable import AgentProtocol
import Testing

@Suite struct FrameTests {
    @Test func lineHasTheDocumentedSyntax() {
        let frame = Frame(session: 0x1234_abcd, seq: 7, type: "log", payload: Data("hi".utf8))
        // CRC-32 of "1:1234abcd:7:log:0/1:2:" followed by "hi" (Python: zlib.crc32).
        #expect(String(decoding: frame.encodedLine(), as: UTF8.self) == "@@isoprobe:1:1234abcd:7:log:0/1:2:756f8fca:aGk=@@\n")
        let empty = Frame(session: 0x1234_abcd, seq: 0, type: "ready", payload: Data())
        #expect(String(decoding: empty.encodedLine(), as: UTF8.self) == "@@isoprobe:1:1234abcd:0:ready:0/1:0:527770cb:@@\n")
    }

    @Test func framesDecodeToThemselves() throws {
        var rng = SeededGenerator(seed: 3)
        for size in [0, 1, 2, 3, 4, 100, 2047, 2048, 2049, 10_000] {
            let payload = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) })
            let frames = try FrameEncoder.frames(session: 9, seq: 41, type: "result", payload: payload, chunkSize: 2048)
            #expect(frames.count == max(1, (size + 2047) / 2048))
            for frame in frames {
                let line = frame.encodedLine()
                #expect(line.count <= FrameFormat.maxLineLength)
                var decoder = FrameDecoder()
                #expect(decoder.feed(line) == [.frame(frame)])
            }
        }
    }

    @Test func linesStayUnderTheLimitAtTheLargestChunkAndHeader() throws {
        let payload = Data(repeating: 0xAB, count: FrameFormat.maxChunkSize * 3)
        let frames = try FrameEncoder.frames(session: .max, seq: .max, type: "abcdefghijklmnop", payload: payload,
                                             chunkSize: FrameFormat.maxChunkSize)
        let longest = Frame(session: .max, seq: .max, type: "abcdefghijklmnop", chunkIndex: FrameFormat.maxChunkCount - 1,
                            chunkCount: FrameFormat.maxChunkCount, payload: frames[0].payload)
        #expect(longest.encodedLine().count <= FrameFormat.maxLineLength)
        #expect(frames.allSatisfy { $0.encodedLine().count <= FrameFormat.maxLineLength })
    }

    @Test func invalidTypesAreRefused() {
        for bad in ["", "Log", "a:b", "a-b", String(repeating: "x", count: 17)] {
            #expect(throws: AgentProtocolError.invalidType(bad)) {
                _ = try FrameEncoder.frames(session: 1, seq: 0, type: bad, payload: Data())
            }
        }
    }

    /// Five hundred kilobytes of result in ~2 KiB chunks, reassembled to the same result.
    @Test func largeResultIsSplitAndReassembled() throws {
        let result = Fixtures.result(syscalls: 420, slow: 500)
        let message = AgentMessage.result(result)
        let payload = try message.payload()
        #expect(payload.count >= 500_000, "payload \(payload.count) bytes")

        let lines = try Fixtures.lines([.hello(AgentHello(guest: Fixtures.guest, probes: [])), message, .bye])
        #expect(lines[1].count == (payload.count + 2047) / 2048)
        #expect(lines.joined().allSatisfy { $0.count <= FrameFormat.maxLineLength })

        let (events, stats) = Fixtures.read(Data(lines.joined().joined()))
        let messages = Fixtures.messages(in: events)
        #expect(messages.count == 3)
        #expect(messages[1] == message)
        guard case .result(let decoded) = messages[1] else { Issue.record("not a result"); return }
        #expect(decoded.syscalls == result.syscalls)
        #expect(decoded.slowSyscalls == result.slowSyscalls)
        #expect(decoded.startedAt == result.startedAt)
        #expect(stats.corruptFrames == 0 && stats.lostSequences.isEmpty)
        #expect(stats.frames == lines.joined().count)
    }

    @Test func byteAtATimeGivesTheSameEvents() throws {
        var stream = Data("[    0.1] boot\n".utf8)
        for (i, lines) in try Fixtures.lines(Fixtures.everyMessage, chunkSize: 300).enumerated() {
            for line in lines {
                stream += line
                if i % 2 == 0 { stream += Data("[    1.\(i)] console between chunks\r\n".utf8) }
            }
        }
        let whole = Fixtures.read(stream).events
        var reader = AgentChannel.Reader()
        var single: [AgentEvent] = []
        for byte in stream { single += reader.feed(CollectionOfOne(byte)) }
        single += reader.finish()
        #expect(single == whole)
        #expect(Fixtures.messages(in: single) == Fixtures.everyMessage)
        #expect(Fixtures.consoleLines(in: single).first == "[    0.1] boot")
        #expect(reader.statistics.corruptFrames == 0)
    }

    @Test(arguments: ["\n", "\r\n", "\r", "\n\r", "\r\r\n", "\n\n"])
    func lineEndingVariants(ending: String) throws {
        var stream = Data()
        for lines in try Fixtures.lines(Fixtures.everyMessage, chunkSize: 500) {
            for line in lines {
                stream += line.dropLast() + Data(ending.utf8)
                stream += Data("kernel says hi\(ending)".utf8)
            }
        }
        let (events, stats) = Fixtures.read(stream)
        #expect(Fixtures.messages(in: events) == Fixtures.everyMessage)
        #expect(Fixtures.consoleLines(in: events).allSatisfy { $0 == "kernel says hi" })
        #expect(stats.corruptFrames == 0 && stats.lostSequences.isEmpty)
    }

    @Test func consoleTextOnTheSameLineAsFrames() throws {
        let lines = try Fixtures.lines([.log("one"), .log("two")]).joined().map { $0.dropLast() }
        let stream = Data("[  3.0] partial line".utf8) + lines[0] + lines[1] + Data(" trailing text\n".utf8)
        let (events, _) = Fixtures.read(stream)
        #expect(events == [.consoleLine("[  3.0] partial line"), .message(.log("one")), .message(.log("two")),
                           .consoleLine(" trailing text")])
    }

    @Test func unsupportedVersionIsReportedNotGuessed() {
        let line = "@@isoprobe:2:1234abcd:0:log:0/1:2:00000000:aGk=@@\n"
        let (events, _) = Fixtures.read(Data(line.utf8))
        #expect(events == [.corruptFrame(seq: nil, reason: .unsupportedVersion("2"))])
    }

    @Test func unknownTypeIsUnreadableNotCorrupt() throws {
        var encoder = FrameEncoder(session: 5)
        let lines = try encoder.lines(type: "telemetry", payload: Data("{}".utf8))
            + encoder.lines(type: "bye", payload: Data("{}".utf8))
        let (events, stats) = Fixtures.read(Data(lines.joined()))
        #expect(events.count == 2)
        if case .unreadableMessage(0, "telemetry", _) = events[0] {} else { Issue.record("\(events[0])") }
        #expect(events[1] == .message(.bye))
        #expect(stats.unreadableMessages == 1 && stats.corruptFrames == 0)
    }

    @Test func duplicateFramesAreDeliveredOnce() throws {
        let lines = Array(try Fixtures.lines([.log("a"), .log("b")]).joined())
        let stream: Data = lines[0] + lines[0] + lines[1] + lines[0]
        let (events, stats) = Fixtures.read(stream)
        #expect(events == [.message(.log("a")), .message(.log("b"))])
        #expect(stats.duplicateFrames == 2)
    }

    /// A restarted agent numbers from 0 again under a new session: no duplicates, no gaps.
    @Test func sessionsAreTrackedApart() throws {
        let first = try Fixtures.lines([.hello(AgentHello(guest: Fixtures.guest, probes: [])), .log("x")], session: 1)
        let second = try Fixtures.lines([.hello(AgentHello(guest: Fixtures.guest, probes: [])), .log("y"), .bye], session: 2)
        let (events, stats) = Fixtures.read(Data((first + second).joined().joined()))
        #expect(Fixtures.messages(in: events).count == 5)
        #expect(stats.lostSequences.isEmpty && stats.duplicateFrames == 0)
    }

    @Test func endlessLineWithoutNewlineIsBounded() {
        var decoder = FrameDecoder(maxLineLength: 4096)
        var outputs: [FrameDecoder.Output] = []
        for _ in 0..<100 { outputs += decoder.feed(Data(repeating: UInt8(ascii: "x"), count: 1000)) }
        #expect(decoder.bufferedByteCount <= 4096)
        #expect(outputs.count >= 20)
    }
}
