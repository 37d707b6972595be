import Foundation
import IsoprobeCore

/// Payloads are JSON with the result schema's conventions (snake_case keys, ISO 8601 dates),
/// so a `result` payload is exactly a `runs[]` element of `--json` output, minus the pretty
/// printing, which would add a third to what crosses a slow serial line.
extension AgentMessage {
    private struct LogPayload: Codable { var line: String }
    private struct OutputPayload: Codable { var text: String }
    private struct Empty: Codable {}

    public static func jsonEncoder() -> JSONEncoder {
        let e = ResultDocument.encoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A workload may print ns_per_op=nan; the result must still reach the host, which
        // decides what to do with it. Finite numbers encode as usual.
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    public static func jsonDecoder() -> JSONDecoder {
        let d = ResultDocument.decoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// The JSON payload of this message.
    public func payload() throws -> Data {
        let e = Self.jsonEncoder()
        switch self {
        case .hello(let h): return try e.encode(h)
        case .ready, .bye, .heartbeat, .poweroff: return try e.encode(Empty())
        case .runRequest(let r): return try e.encode(r)
        case .log(let line): return try e.encode(LogPayload(line: line))
        case .output(let text): return try e.encode(OutputPayload(text: text))
        case .result(let r): return try e.encode(r)
        case .error(let f): return try e.encode(f)
        }
    }

    /// A message from its frame type and JSON payload.
    public init(type: String, payload: Data) throws {
        guard let kind = Kind(rawValue: type) else { throw AgentProtocolError.unknownMessageType(type) }
        let d = Self.jsonDecoder()
        do {
            switch kind {
            case .hello: self = .hello(try d.decode(AgentHello.self, from: payload))
            case .ready: _ = try d.decode(Empty.self, from: payload); self = .ready
            case .run: self = .runRequest(try d.decode(GuestRunRequest.self, from: payload))
            case .log: self = .log(try d.decode(LogPayload.self, from: payload).line)
            case .output: self = .output(try d.decode(OutputPayload.self, from: payload).text)
            case .result: self = .result(try d.decode(RunResult.self, from: payload))
            case .error: self = .error(try d.decode(AgentFailure.self, from: payload))
            case .bye: _ = try d.decode(Empty.self, from: payload); self = .bye
            case .heartbeat: _ = try d.decode(Empty.self, from: payload); self = .heartbeat
            case .poweroff: _ = try d.decode(Empty.self, from: payload); self = .poweroff
            }
        } catch {
            throw AgentProtocolError.undecodablePayload(type: type, reason: ErrorWords.of(error))
        }
    }
}

/// Two messages are equal when their wire payloads are: `RunResult` has no `==` of its own,
/// and the sorted-keys encoding is deterministic, so this is equality of everything sent.
extension AgentMessage: Equatable {
    public static func == (a: AgentMessage, b: AgentMessage) -> Bool {
        guard a.kind == b.kind, let pa = try? a.payload(), let pb = try? b.payload() else { return false }
        return pa == pb
    }
}
