import Foundation

/// The wire syntax of one frame, one line of ASCII:
///
///     @@isoprobe:1:<session>:<seq>:<type>:<index>/<count>:<length>:<crc32>:<base64>@@\n
///
/// - `1`: the frame syntax version. A decoder that meets another version reports the line as
///   damaged (`unsupportedVersion`) rather than guessing at fields that may have moved.
/// - `<session>`: 8 lowercase hex digits the writer picks at random when it starts. Sequence
///   numbers are tracked per session, so an agent that restarts (and numbers from 0 again), or
///   frames echoed back by a tty, are not taken for duplicates or gaps of another writer.
/// - `<seq>`: decimal message number, 0 for a session's first message, +1 per message. All the
///   chunks of one message share it; a gap in it is a lost message.
/// - `<type>`: the message type, 1-16 of `a-z0-9` (`hello`, `ready`, `run`, `log`, `result`,
///   `error`, `bye`).
/// - `<index>/<count>`: this chunk's place in its message, decimal, 0-based, count >= 1.
/// - `<length>`: decimal byte count of this chunk's payload after base64 decoding.
/// - `<crc32>`: 8 hex digits, CRC-32 (IEEE) of the header text from the version up to and
///   including the colon before this field, followed by the decoded payload bytes. The header
///   is covered too: a flipped digit in a sequence number or chunk index would otherwise file
///   an intact payload under the wrong message.
/// - `<base64>`: the chunk's payload, standard alphabet with padding (empty for no payload).
///
/// Every byte of a frame between its markers is in `[A-Za-z0-9+/=:]`. Kernel console text
/// almost never stays in that set for long (timestamps open with `[`, words end in spaces), so
/// a decoder ends a frame at the first byte outside it: a kernel message spliced into a frame
/// line cuts the frame short (it is reported damaged) and the rest of the line is console
/// text again. A frame line holds at most `maxLineLength` bytes so that a write of it to a
/// pipe is atomic (below PIPE_BUF, 4096) and a damaged line costs little.
public enum FrameFormat {
    public static let version = 1
    public static let startMarker = "@@isoprobe:"
    public static let endMarker = "@@"

    /// Payload bytes per frame before base64: 2048 bytes become 2732 characters, which with a
    /// header of at most 100 keeps a line under `maxLineLength`.
    public static let defaultChunkSize = 2048
    /// The largest chunk size an encoder accepts, so its lines stay under `maxLineLength`. A
    /// decoder refuses a frame that declares more, or carries more base64 than this encodes to.
    public static let maxChunkSize = 2160
    /// Upper bound of an encoded frame line, newline included.
    public static let maxLineLength = 3072
    /// Frames claiming more chunks than this are refused before anything is buffered for
    /// them. What a reader holds for a message is bounded apart from it, in bytes
    /// (`ChannelLimits.maxMessageBytes`).
    public static let maxChunkCount = 65536
    public static let maxTypeLength = 16

    static let startBytes = Array(startMarker.utf8)
    static let at = UInt8(ascii: "@")
    static let colon = UInt8(ascii: ":")
    static let slash = UInt8(ascii: "/")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")

    /// Bytes that may appear between a frame's markers.
    static let frameAlphabet: [Bool] = (0..<256).map { b in
        let c = UInt8(b)
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    public static func isValidType(_ type: String) -> Bool {
        !type.isEmpty && type.utf8.count <= maxTypeLength
            && type.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
    }

    /// Fixed-width lowercase hex, without Foundation's format machinery.
    static func hex8(_ value: UInt32) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { out[i] = digits[Int((value >> (28 - 4 * UInt32(i))) & 0xF)] }
        return String(decoding: out, as: UTF8.self)
    }
}
