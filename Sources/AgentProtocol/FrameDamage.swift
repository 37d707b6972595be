/// Why a frame line was not accepted. A damaged frame is dropped whole: none of its fields
/// are trusted, so nothing from it reaches a message (the sequence number a decoder reports
/// with it is what the damaged header claims, and may itself be wrong).
public enum FrameDamage: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line left the frame alphabet, or ended, before the end marker: typically console
    /// text spliced into the line, or a line cut short.
    case truncated
    /// A header field is missing or not in its syntax.
    case malformedHeader(String)
    /// Another frame syntax version than this decoder's.
    case unsupportedVersion(String)
    /// The payload is not valid base64.
    case badBase64
    /// The payload decodes to another byte count than the header states.
    case lengthMismatch(declared: Int, actual: Int)
    /// The CRC-32 over header and payload differs from the header's.
    case checksumMismatch(declared: UInt32, computed: UInt32)
    /// An intact frame that contradicts earlier chunks of its message (another chunk count
    /// or type): not expected from a correct writer.
    case inconsistentChunk(String)

    public var description: String {
        switch self {
        case .truncated:
            return "frame cut short (no end marker before other text or the end of the line)"
        case .malformedHeader(let what):
            return "malformed header: \(what)"
        case .unsupportedVersion(let v):
            return "frame version \(v), this decoder reads version \(FrameFormat.version)"
        case .badBase64:
            return "payload is not valid base64"
        case .lengthMismatch(let declared, let actual):
            return "payload is \(actual) bytes, header says \(declared)"
        case .checksumMismatch(let declared, let computed):
            return "CRC-32 \(FrameFormat.hex8(computed)), header says \(FrameFormat.hex8(declared))"
        case .inconsistentChunk(let what):
            return "chunk contradicts its message: \(what)"
        }
    }
}
