import Foundation
@testable import AgentProtocol
import Testing

@Suite struct CRC32Tests {
    /// The CRC-32 check value and other published vectors (zlib's crc32 gives the same).
    @Test(arguments: [
        ("123456789", UInt32(0xCBF4_3926)),
        ("", UInt32(0)),
        ("a", UInt32(0xE8B7_BE43)),
        ("abc", UInt32(0x3524_41C2)),
        ("The quick brown fox jumps over the lazy dog", UInt32(0x414F_A339)),
    ])
    func knownVectors(text: String, expected: UInt32) {
        #expect(CRC32.checksum(text) == expected)
        #expect(CRC32.checksum(Data(text.utf8)) == expected)
    }

    @Test func allZeroAndAllOnesBlocks() {
        // 32 bytes of 0x00 and of 0xFF (iSCSI/RFC 3720 style test blocks, CRC-32 IEEE values).
        #expect(CRC32.checksum(Data(repeating: 0, count: 32)) == 0x190A_55AD)
        #expect(CRC32.checksum(Data(repeating: 0xFF, count: 32)) == 0xFF6C_AB0B)
    }

    @Test func runningEqualsOneShot() {
        var rng = SeededGenerator(seed: 7)
        let data = Data((0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        for split in [0, 1, 3, 4095, 9_999, 10_000] {
            var crc = CRC32()
            crc.update(data.prefix(split))
            crc.update(data.dropFirst(split))
            #expect(crc.value == CRC32.checksum(data), "split at \(split)")
        }
    }

    @Test func everySingleBitFlipChangesIt() {
        let data = Data("a frame payload of some length {\"line\":\"x\"}".utf8)
        let good = CRC32.checksum(data)
        for i in 0..<data.count * 8 {
            var flipped = data
            flipped[i / 8] ^= UInt8(1 << (i % 8))
            #expect(CRC32.checksum(flipped) != good)
        }
    }
}
