import Foundation
import IsoprobeCore
@testable import AgentProtocol
import Testing

/// Random streams mixing everything a console does to frames, over many seeds. Each
/// iteration checks:
/// - no message is ever delivered other than as sent, and never out of order;
/// - a message is delivered exactly when all its frame lines survived;
/// - every message not delivered is reported lost (the stream always ends with an intact
///   `bye`, as a finishing agent's does);
/// - console lines inserted at line boundaries reach the console output, in order;
/// - how the bytes are cut into reads changes nothing.
@Suite struct PropertyTests {
    enum Fate: CaseIterable { case intact, dropped, splicedLine, splicedText, bitFlip, duplicated }

    @Test(arguments: 0..<8)
    func randomStreams(batch: Int) throws {
        for iteration in 0..<40 {
            let seed = UInt64(batch * 1000 + iteration)
            try check(seed: seed)
        }
    }

    func check(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let messages = Self.randomMessages(&rng)
        let chunkSize = [16, 100, 700, 2048].randomElement(using: &rng)!
        let session = UInt32.random(in: .min ... .max, using: &rng)
        let lines = try Fixtures.lines(messages, chunkSize: chunkSize, session: session)

        var stream = Data()
        var survived = [Bool](repeating: true, count: messages.count)
        // Noise goes in at line boundaries only: every frame line keeps its line ending
        // (splices and flips happen inside it), so each noise line is a console line of its own.
        var exactConsole: [String] = []
        func noise() {
            let line = Self.randomNoise(&rng)
            stream += Data(line.utf8) + Data(["\n", "\r\n"].randomElement(using: &rng)!.utf8)
            exactConsole.append(line)
        }
        for (m, messageLines) in lines.enumerated() {
            for line in messageLines {
                if Int.random(in: 0..<5, using: &rng) == 0 { noise() }
                let ending = ["\n", "\r\n", "\r", "\n\r"].randomElement(using: &rng)!
                var body = line.dropLast()
                // The final bye stays intact: the end of a stream is only known from it.
                let fate: Fate = m == messages.count - 1 ? .intact : Self.fate(&rng)
                switch fate {
                case .intact:
                    stream += body + Data(ending.utf8)
                case .duplicated:
                    stream += body + Data(ending.utf8) + body + Data(ending.utf8)
                case .dropped:
                    survived[m] = false
                case .splicedLine:
                    let k = Int.random(in: 1..<body.count, using: &rng)
                    stream += body.prefix(k) + Data((Self.randomNoise(&rng) + "\n").utf8) + body.dropFirst(k) + Data(ending.utf8)
                    survived[m] = false
                case .splicedText:
                    let k = Int.random(in: 1..<body.count, using: &rng)
                    stream += body.prefix(k) + Data("[ 3.3] pr_cont ".utf8) + body.dropFirst(k) + Data(ending.utf8)
                    survived[m] = false
                case .bitFlip:
                    // Within the line proper, so the flip can only damage this frame (a flipped
                    // newline is harmless and covered by DamageTests).
                    let bit = Int.random(in: 0..<(body.count * 8), using: &rng)
                    body[body.startIndex + bit / 8] ^= UInt8(1 << (bit % 8))
                    stream += body + Data(ending.utf8)
                    survived[m] = false
                }
            }
        }
        if Bool.random(using: &rng) { noise() }

        // Whole, and cut into random reads.
        var whole = AgentChannel.Reader()
        let wholeEvents = whole.feed(stream) + whole.finish()
        var pieces = AgentChannel.Reader()
        var pieceEvents: [AgentEvent] = []
        var offset = 0
        while offset < stream.count {
            let n = min(stream.count - offset, [1, 2, 7, 64, 1000, 4096].randomElement(using: &rng)!)
            pieceEvents += pieces.feed(stream[(stream.startIndex + offset)..<(stream.startIndex + offset + n)])
            offset += n
        }
        pieceEvents += pieces.finish()
        #expect(pieceEvents == wholeEvents, "seed \(seed): chunking changed the events")

        // Delivered: in order, each exactly as sent, and exactly the surviving ones.
        let delivered = Fixtures.messages(in: wholeEvents)
        var next = 0
        var deliveredIndexes: [Int] = []
        for message in delivered {
            guard let k = (next..<messages.count).first(where: { messages[$0] == message }) else {
                Issue.record("seed \(seed): delivered a message that was not sent next: \(message.kind)")
                return
            }
            deliveredIndexes.append(k)
            next = k + 1
        }
        // A bit flip that changes no content (unused base64 bits) may leave a message whole.
        let expected = survived.indices.filter { survived[$0] }
        #expect(Set(expected).isSubset(of: Set(deliveredIndexes)), "seed \(seed): surviving messages not delivered")

        let lost = Set(whole.statistics.lostSequences.flatMap { $0.map { Int($0) } })
        let notDelivered = Set(messages.indices).subtracting(deliveredIndexes)
        #expect(lost == notDelivered, "seed \(seed): lost \(lost.sorted()) vs not delivered \(notDelivered.sorted())")
        #expect(whole.statistics.messages + whole.statistics.unreadableMessages == delivered.count)
        #expect(whole.statistics.unreadableMessages == 0)

        // Noise at line boundaries reaches the console intact and in order.
        var console = Fixtures.consoleLines(in: wholeEvents)[...]
        for line in exactConsole {
            guard let i = console.firstIndex(of: line) else {
                Issue.record("seed \(seed): console line missing: \(line)")
                return
            }
            console = console[(i + 1)...]
        }
    }

    static func fate(_ rng: inout SeededGenerator) -> Fate {
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<4: return .dropped
        case 4..<8: return .splicedLine
        case 8..<10: return .splicedText
        case 10..<15: return .bitFlip
        case 15..<18: return .duplicated
        default: return .intact
        }
    }

    static func randomMessages(_ rng: inout SeededGenerator) -> [AgentMessage] {
        // Every message differs from the others, so the check can tell which one arrived.
        var out: [AgentMessage] = [Fixtures.hello, .ready]
        for i in 0..<Int.random(in: 1...10, using: &rng) {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6: out.append(.log("\(i) " + randomText(&rng)))
            case 6..<8: out.append(.result(Fixtures.result(syscalls: Int.random(in: 0...20, using: &rng),
                                                           slow: Int.random(in: 0...20, using: &rng), seed: rng.next())))
            case 8: out.append(.error(AgentFailure(message: "\(i) " + randomText(&rng), kind: "failed")))
            default:
                var request = Fixtures.request
                request.repetition = i
                out.append(.runRequest(request))
            }
        }
        out.append(.bye)
        return out
    }

    static func randomText(_ rng: inout SeededGenerator) -> String {
        let pieces = ["probe", " ", "@@isoprobe:1:", "\n", "é", "→", "\"", "\\", "@@", ":", "🙂", "x", "0"]
        return (0..<Int.random(in: 0...40, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    /// A console line: a kernel-style message or printable junk (no CR/LF, never blank).
    static func randomNoise(_ rng: inout SeededGenerator) -> String {
        if Bool.random(using: &rng) { return Fixtures.kernelLines.randomElement(using: &rng)! }
        let chars = Array("abcXYZ019 []()<>:=+/-_.,;!?#@*é")
        return "j" + String((0..<Int.random(in: 0...80, using: &rng)).map { _ in chars.randomElement(using: &rng)! })
    }
}
