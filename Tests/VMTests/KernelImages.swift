import Foundation

/// Small files with just the bytes the kernel inspection reads, so the locator's order and
/// the header parsing are tested without a real kernel.
enum KernelImages {
    /// A bzImage header (boot protocol 2.15) whose kernel_version string is `banner`.
    static func bzImage(banner: String?) -> Data {
        var bytes = [UInt8](repeating: 0, count: 0x600)
        bytes[0] = 0x4D; bytes[1] = 0x5A                               // "MZ", as EFI-stub kernels start
        bytes[0x1FE] = 0x55; bytes[0x1FF] = 0xAA
        bytes.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
        bytes[0x206] = 0x0F; bytes[0x207] = 0x02
        if let banner {
            let pointer = 0x300
            bytes[0x20E] = UInt8(pointer & 0xFF); bytes[0x20F] = UInt8(pointer >> 8)
            bytes.replaceSubrange(0x200 + pointer..<0x200 + pointer + banner.utf8.count, with: Array(banner.utf8))
        }
        return Data(bytes)
    }

    /// An x86-64 ELF executable with one PT_NOTE segment: an unrelated Xen note, then (when
    /// `pvh`) XEN_ELFNOTE_PHYS32_ENTRY; `banner` is appended as .rodata would hold it.
    static func vmlinux(pvh: Bool, banner: String? = nil) -> Data {
        func note(_ type: UInt32, _ desc: [UInt8]) -> [UInt8] {
            le32(4) + le32(UInt32(desc.count)) + le32(type) + Array("Xen\0".utf8) + desc
                + [UInt8](repeating: 0, count: (4 - desc.count % 4) % 4)
        }
        let notes = note(6, Array("linux\0".utf8)) + (pvh ? note(18, le32(0x0100_0A30) + le32(0)) : [])
        var header = [UInt8](repeating: 0, count: 64)
        header.replaceSubrange(0..<8, with: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0])
        header.replaceSubrange(16..<20, with: le16(2) + le16(62))
        header.replaceSubrange(20..<24, with: le32(1))
        header.replaceSubrange(32..<40, with: le64(64))                 // e_phoff
        header.replaceSubrange(52..<58, with: le16(64) + le16(56) + le16(1))
        var program = le32(4) + le32(4) + le64(120) + le64(0) + le64(0)
        program += le64(UInt64(notes.count)) + le64(UInt64(notes.count)) + le64(4)
        var file = header + program + notes
        if let banner { file += [0, 0] + Array("Linux version %s\0".utf8) + Array(banner.utf8) + [0] }
        return Data(file)
    }

    static func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    static func write(_ data: Data, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }
}
