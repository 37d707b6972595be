import Foundation
import IsoprobeCore

/// Errors of building, sending or reading messages (damage on the wire is not an error: it
/// is reported as `AgentEvent`s, because a reader keeps going past it).
public enum AgentProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidType(String)
    case messageTooLarge(bytes: Int, limit: Int)
    case unknownMessageType(String)
    case undecodablePayload(type: String, reason: String)
    case io(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .invalidType(let t):
            return "message type '\(t)' is not 1-\(FrameFormat.maxTypeLength) of a-z0-9"
        case .messageTooLarge(let bytes, let limit):
            return "message of \(bytes) bytes exceeds the frame limit of \(limit) bytes"
        case .unknownMessageType(let t):
            return "unknown message type '\(t)'"
        case .undecodablePayload(let t, let reason):
            return reason
        case .io(let operation, let errno):
            return "\(operation): \(ErrorWords.of(errno: errno))"
        }
    }
}
