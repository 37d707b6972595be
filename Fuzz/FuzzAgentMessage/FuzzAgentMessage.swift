import AgentProtocol
import Foundation
import FuzzAgentSamples
import FuzzReplay

/// Fuzz target: a message payload as a guest may send it. The first byte picks the message
/// type (`AgentMessage.Kind`), the rest is its JSON. Whatever the bytes: a message, which
/// encodes again, or an error; never a crash or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgentMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzReplay.data(data, size)
    guard let first = input.first else { return 0 }
    let kinds = AgentMessage.Kind.allCases
    let kind = kinds[Int(first) % kinds.count]
    guard let message = try? AgentMessage(type: kind.rawValue, payload: Data(input.dropFirst())) else { return 0 }
    do {
        _ = try message.payload()
    } catch {
        FuzzReplay.broken("a \(kind.rawValue) message that decoded does not encode: \(error)")
    }
    return 0
}

@main
struct Entry {
    static func main() { FuzzReplay.main("fuzz-agent-message", fuzzAgentMessage, seeds: seeds) }

    /// One message of each kind, its type's byte first (`make fuzz-seeds`).
    static func seeds() throws -> [String: Data] {
        var seeds: [String: Data] = [:]
        for message in try AgentSamples.messages() {
            let index = UInt8(AgentMessage.Kind.allCases.firstIndex(of: message.kind)!)
            seeds["generated-\(message.kind.rawValue).json"] = Data([index]) + (try message.payload())
        }
        return seeds
    }
}
