import AgentProtocol
import Foundation
import FuzzAgentSamples
import FuzzReplay

/// Fuzz target: a message payload as a guest may send it. The first byte picks the message
/// type (`AgentMessage.Kind`), the rest is its JSON. Whatever the bytes: a message, which
/// encodes again, or an error; never a crash or unbounded memory.
func fuzzAgentMessage(_ bytes: UnsafeRawBufferPointer) {
    guard let first = bytes.first else { return }
    let kinds = AgentMessage.Kind.allCases
    let kind = kinds[Int(first) % kinds.count]
    guard let message = try? AgentMessage(type: kind.rawValue, payload: Data(bytes.dropFirst())) else { return }
    do {
        _ = try message.payload()
    } catch {
        FuzzReplay.broken("a \(kind.rawValue) message that decoded does not encode: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzAgentMessage(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

@main
struct Entry {
    /// libFuzzer's loop with -DFUZZING; otherwise the replay of the files named (or the seeds).
    static func main() {
        #if FUZZING
        FuzzReplay.fuzz(fuzzerTestOneInput)
        #else
        FuzzReplay.main("fuzz-agent-message", fuzzAgentMessage, seeds: seeds)
        #endif
    }

    #if !FUZZING
    /// The inputs the corpus starts from (`make fuzz-seeds` writes them to fixtures/fuzz).
    static func seeds() throws -> [String: Data] {
        var seeds: [String: Data] = [:]
        for message in AgentSamples.messages {
            let index = UInt8(AgentMessage.Kind.allCases.firstIndex(of: message.kind)!)
            seeds["generated-\(message.kind.rawValue).json"] = Data([index]) + (try message.payload())
        }
        return seeds
    }
    #endif
}
