import Foundation
@testable import AgentProtocol
import Testing

/// A large result through the frames and back, checked whole; the rates are printed, not
/// judged (a timed assertion would only measure the machine). The serial line (about 11 KB/s at 115200 baud, a few MB/s emulated) is far slower.
@Suite struct ThroughputTests {
    @Test func encodeAndDecodeRate() throws {
        let payload = try AgentMessage.result(Fixtures.result(syscalls: 420, slow: 500)).payload()
        let rounds = 8
        var encoder = FrameEncoder(session: 1)
        let clock = ContinuousClock()
        var lines: [Data] = []
        let encodeTime = try clock.measure {
            for _ in 0..<rounds { lines += try encoder.lines(type: "result", payload: payload) }
        }
        let stream = Data(lines.joined())
        var reader = AgentChannel.Reader()
        var decoded: [AgentMessage] = []
        let decodeTime = clock.measure {
            var offset = stream.startIndex
            while offset < stream.endIndex {
                let end = min(offset + 65536, stream.endIndex)
                decoded += Fixtures.messages(in: reader.feed(stream[offset..<end]))
                offset = end
            }
        }
        // Every copy comes back whole and equal, read in 64 KiB pieces that cut frames anywhere.
        #expect(decoded.count == rounds)
        #expect(decoded.allSatisfy { $0 == .result(Fixtures.result(syscalls: 420, slow: 500)) })
        var frameDecoder = FrameDecoder()
        var frames = 0
        let frameTime = clock.measure {
            var offset = stream.startIndex
            while offset < stream.endIndex {
                let end = min(offset + 65536, stream.endIndex)
                frames += frameDecoder.feed(stream[offset..<end]).count
                offset = end
            }
        }
        #expect(frames == lines.count)
        let jsonTime = try clock.measure {
            for _ in 0..<rounds { _ = try AgentMessage(type: "result", payload: payload) }
        }
        func rate(_ d: Duration) -> Double {
            Double(payload.count * rounds) / 1e6 / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        print(String(format: "agent protocol: %.1f MB payload (%.1f MB on the wire): encode %.1f MB/s; "
                     + "decode %.1f MB/s, of which frames alone %.1f MB/s, JSON alone %.1f MB/s",
                     Double(payload.count * rounds) / 1e6, Double(stream.count) / 1e6, rate(encodeTime),
                     rate(decodeTime), rate(frameTime), rate(jsonTime)))
    }
}
