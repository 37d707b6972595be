import Foundation
import Testing
@testable import AgentProtocol

/// What a reader holds is bounded whatever the writer sends (`ChannelLimits`).
@Suite struct BoundsTests {
    func frame(session: UInt32 = 7, seq: UInt32, type: String = "log", index: Int = 0, count: Int = 1,
               payload: Data = Data("{\"line\":\"x\"}".utf8)) -> Frame {
        Frame(session: session, seq: seq, type: type, chunkIndex: index, chunkCount: count, payload: payload)
    }

    @Test func aChunkOverTheFormatsLimitIsDamaged() {
        let line = frame(seq: 0, payload: Data(repeating: 0x20, count: FrameFormat.maxChunkSize + 1)).encodedLine()
        let out = FrameDecoder.decode(line: Array(line.dropLast()))
        guard case .damagedFrame(_, _, .malformedHeader(let what)) = out.first else {
            Issue.record("expected a damaged frame, got \(out)")
            return
        }
        #expect(what.contains("over the chunk limit of \(FrameFormat.maxChunkSize)"))
    }

    @Test func lossReportsListTheFirstChunksAndCountTheRest() {
        var assembler = MessageAssembler()
        _ = assembler.add(frame(seq: 0, index: 5, count: FrameFormat.maxChunkCount))
        let out = assembler.add(frame(seq: 1))
        guard case .missingChunks(_, 0, _, let missing, let missingCount, let count) = out.first else {
            Issue.record("expected a loss report, got \(out)")
            return
        }
        #expect(missing.count == ChannelLimits().maxReportedChunks && missing.prefix(6) == [0, 1, 2, 3, 4, 6])
        #expect(missingCount == FrameFormat.maxChunkCount - 1 && count == FrameFormat.maxChunkCount)
        #expect(assembler.bufferedBytes == 0)
    }

    /// Sequence numbers counting down never abandon each other: held messages are capped.
    @Test func incompleteMessagesAreCapped() {
        var assembler = MessageAssembler()
        var refused: String?
        for seq in stride(from: UInt32(1000), to: 900, by: -1) {
            for o in assembler.add(frame(seq: seq, count: 2)) { if case .overLimit(let why) = o { refused = why } }
            if refused != nil { break }
        }
        #expect(refused?.contains("more than 16 incomplete messages") == true, "\(refused ?? "none")")
    }

    @Test func heldBytesAreCapped() {
        var limits = ChannelLimits()
        limits.maxMessageBytes = 64 << 10
        var assembler = MessageAssembler(limits: limits)
        let chunk = Data(repeating: 0x20, count: 2048)
        var refused: String?
        for i in 0..<64 {
            for o in assembler.add(frame(seq: 0, type: "result", index: i, count: 1000, payload: chunk)) {
                if case .overLimit(let why) = o { refused = why }
            }
        }
        #expect(refused == "message 0 (result) is over 64 KiB")
        #expect(assembler.bufferedBytes <= 64 << 10)
    }

    @Test func sessionsAreCapped() {
        var assembler = MessageAssembler()
        let outs = (0..<9).flatMap { assembler.add(frame(session: UInt32($0), seq: 0)) }
        #expect(outs.filter { if case .message = $0 { true } else { false } }.count == 8)
        #expect(outs.last == .overLimit("frames of more than 8 writer sessions"))
    }

    /// Delivered numbers are remembered in a window: an old duplicate is dropped, not
    /// delivered again, and memory does not grow with the messages delivered.
    @Test func oldFramesAreStale() {
        var assembler = MessageAssembler()
        for seq in 0..<UInt32(3000) { _ = assembler.add(frame(seq: seq)) }
        #expect(assembler.add(frame(seq: 5)) == [.duplicate(session: 7, seq: 5, chunk: 0)])
        #expect(assembler.add(frame(seq: 2990)) == [.duplicate(session: 7, seq: 2990, chunk: 0)])
    }

    @Test func deepJSONIsUnreadable() throws {
        let deep = "{\"line\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"
        var reader = AgentChannel.Reader()
        let events = reader.feed(frame(seq: 0, payload: Data(deep.utf8)).encodedLine())
        guard case .unreadableMessage(0, "log", let reason) = events.first else {
            Issue.record("expected an unreadable message, got \(events)")
            return
        }
        #expect(reason.contains("nested over 32 deep"))
        // Brackets in strings do not count.
        let inString = "{\"line\":\"" + String(repeating: "[", count: 100) + "\"}"
        #expect(reader.feed(frame(seq: 1, payload: Data(inString.utf8)).encodedLine()).count == 1)
    }

    /// A guest's reader stops at its budget and reads nothing after.
    @Test func aBrokenChannelReadsNothingMore() {
        var reader = AgentChannel.Reader(limits: .guest)
        let text = Data(String(repeating: "noise\n", count: 200_000).utf8)
        let events = reader.feed(text)
        #expect(events.last == .channelBroken("over 1 MiB of text that is not frames"))
        #expect(reader.broken != nil)
        #expect(reader.feed(frame(seq: 0).encodedLine()).isEmpty && reader.finish().isEmpty)
        // The budget starts again: damage before it does not count.
        var fresh = AgentChannel.Reader(limits: .guest)
        _ = fresh.feed(Data(String(repeating: "noise\n", count: 150_000).utf8))
        fresh.startBudget()
        #expect(!fresh.feed(Data(String(repeating: "noise\n", count: 150_000).utf8)).contains { if case .channelBroken = $0 { true } else { false } })
    }
}
