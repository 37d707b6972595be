import AgentProtocol
import Foundation
import FuzzAgentSamples
import FuzzReplay

/// Fuzz target: the bytes a guest writes on its channel, as the host reads them
/// (`AgentChannel.Reader`: frame decoder, message assembler, payload decoding), fed in up to
/// three pieces cut where the input's first two bytes say, so that partial lines and frames
/// are met too. Whatever the bytes: events, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgentFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var reader = AgentChannel.Reader()
    for piece in FuzzReplay.pieces(FuzzReplay.data(data, size)) { _ = reader.feed(piece) }
    _ = reader.finish()
    return 0
}

@main
struct Entry {
    static func main() { FuzzReplay.main("fuzz-agent-frames", fuzzAgentFrames, seeds: seeds) }

    /// Every kind of message framed, and a session of them lost, repeated, reordered, damaged
    /// and spliced with console text (`make fuzz-seeds`). The first two bytes, 0x55 0xAA, cut
    /// the rest in three.
    static func seeds() throws -> [String: Data] {
        let cut = Data([0x55, 0xAA])
        var seeds: [String: Data] = [:]
        var encoder = FrameEncoder(session: 0x1234_abcd, chunkSize: 512)
        var lines: [Data] = []
        for message in try AgentSamples.messages() {
            let frames = try encoder.lines(type: message.kind.rawValue, payload: try message.payload())
            seeds["generated-\(message.kind.rawValue)"] = cut + frames.reduce(Data(), +)
            lines += frames
        }
        let console = Data("[    0.000000] Linux version 6.1.0\r\nRun /init as init process\n@@isoprobe is mentioned\n".utf8)
        seeds["generated-session"] = cut + console + lines.reduce(Data(), +)
        seeds["generated-lost-and-repeated"] = cut + lines.enumerated().filter { $0.offset % 3 != 1 }.map(\.element).reduce(Data(), +)
            + lines.prefix(3).reduce(Data(), +)
        seeds["generated-reordered"] = cut + lines.reversed().reduce(Data(), +)
        var damaged = lines.reduce(Data(), +)
        damaged[damaged.count / 2] ^= 0x20
        seeds["generated-damaged"] = cut + damaged
        if let first = lines.first {
            seeds["generated-spliced"] = cut + first.prefix(40) + Data("[   12.3] random: crng init done\n".utf8) + first.dropFirst(40)
        }
        return seeds
    }
}
