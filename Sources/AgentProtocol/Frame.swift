import Foundation

/// One line on the wire: one chunk of one message (see `FrameFormat` for the syntax).
public struct Frame: Sendable, Equatable {
    public var session: UInt32
    public var seq: UInt32
    public var type: String
    public var chunkIndex: Int
    public var chunkCount: Int
    /// This chunk's bytes (not base64).
    public var payload: Data

    public init(session: UInt32, seq: UInt32, type: String, chunkIndex: Int = 0, chunkCount: Int = 1,
                payload: Data) {
        precondition(FrameFormat.isValidType(type), "frame type '\(type)' is not 1-16 of a-z0-9")
        precondition(chunkCount >= 1 && chunkCount <= FrameFormat.maxChunkCount && (0..<chunkCount).contains(chunkIndex),
                     "chunk \(chunkIndex)/\(chunkCount) out of range")
        self.session = session
        self.seq = seq
        self.type = type
        self.chunkIndex = chunkIndex
        self.chunkCount = chunkCount
        self.payload = payload
    }

    /// The header fields the checksum covers, as they appear on the wire:
    /// `1:<session>:<seq>:<type>:<index>/<count>:<length>:`.
    var checkedHeader: String {
        "\(FrameFormat.version):\(FrameFormat.hex8(session)):\(seq):\(type):\(chunkIndex)/\(chunkCount):\(payload.count):"
    }

    public var checksum: UInt32 {
        var crc = CRC32()
        crc.update(checkedHeader)
        crc.update(payload)
        return crc.value
    }

    /// The complete line, markers and "\n" included.
    public func encodedLine() -> Data {
        let header = checkedHeader
        var crc = CRC32()
        crc.update(header)
        crc.update(payload)
        var line = Data(capacity: FrameFormat.startBytes.count + header.utf8.count + 10 + payload.count * 4 / 3 + 8)
        line.append(contentsOf: FrameFormat.startBytes)
        line.append(contentsOf: header.utf8)
        line.append(contentsOf: FrameFormat.hex8(crc.value).utf8)
        line.append(FrameFormat.colon)
        line.append(payload.base64EncodedData())
        line.append(contentsOf: FrameFormat.endMarker.utf8)
        line.append(FrameFormat.lf)
        return line
    }
}
