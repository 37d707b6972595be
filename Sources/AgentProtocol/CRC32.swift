import Foundation

/// CRC-32 as in IEEE 802.3, zlib and PNG (reflected polynomial 0xEDB88320, initial value and
/// final xor 0xFFFFFFFF): `CRC32.checksum("123456789")` is 0xCBF43926. Written here rather than
/// taken from zlib so the protocol module needs nothing beyond Foundation, in the guest too.
///
/// Running form, so a frame's header text and its decoded payload are checksummed without
/// first being copied into one buffer.
public struct CRC32: Sendable, Equatable {
    private var state: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// One table lookup per byte: about eight times fewer operations than bit-at-a-time,
    /// for 1 KiB of table.
    static let table: [UInt32] = (0..<256).map { byte in
        var c = UInt32(byte)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        var c = state
        // Unsafe pointers because a debug build checks every array subscript; this loop is
        // the decoder's hottest one.
        Self.table.withUnsafeBufferPointer { table in
            let t = table.baseAddress!
            for byte in bytes { c = t[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        state = c
    }

    public mutating func update<Bytes: DataProtocol>(_ bytes: Bytes) {
        for region in bytes.regions { region.withUnsafeBytes { update($0) } }
    }

    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// The checksum of everything given so far (the running state is not changed).
    public var value: UInt32 { state ^ 0xFFFF_FFFF }

    public static func checksum<Bytes: DataProtocol>(_ bytes: Bytes) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    public static func checksum(_ text: String) -> UInt32 {
        var crc = CRC32()
        crc.update(text)
        return crc.value
    }
}
