import Foundation
import IsoprobeCore

/// What the first bytes of a kernel image say about it.
enum KernelImageHeader: Equatable {
    /// x86 boot protocol image; the release from the header's version string, when it has one.
    case bzImage(version: String?)
    /// ELF64 x86-64; QEMU boots it only through the Xen PVH entry note.
    case elf(hasPVHNote: Bool)

    /// The boot protocol header (Documentation/arch/x86/boot.rst) sits at 0x1F1; `kernel_version`
    /// at 0x20E is a 16-bit pointer to a NUL-terminated string at 0x200 + pointer, whose first
    /// word is the release ("6.1.0-47-amd64 (debian-kernel@lists.debian.org) #1 SMP ...").
    static let bootFlagOffset = 0x1FE
    static let headerMagicOffset = 0x202
    static let protocolVersionOffset = 0x206
    static let kernelVersionOffset = 0x20E
    /// XEN_ELFNOTE_PHYS32_ENTRY in a "Xen" note: the 32-bit entry point QEMU's PVH loader uses.
    static let pvhNoteType: UInt32 = 18

    static func read(_ path: String) throws -> KernelImageHeader {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IsoprobeError(.missing, "cannot read kernel \(path)", cause: ErrorWords.of(errno: errno))
        }
        defer { try? handle.close() }
        // The version pointer reaches at most 0x200 + 0xFFFF.
        let head = [UInt8]((try? handle.read(upToCount: 0x10200)) ?? Data())
        if let header = parseBzImage(head) { return header }
        if head.starts(with: [0x7F, 0x45, 0x4C, 0x46]) {
            return .elf(hasPVHNote: try elfHasPVHNote(head, handle: handle, path: path))
        }
        throw IsoprobeError(.usage, "\(path) is neither a bzImage nor an ELF vmlinux",
                            fix: "give the kernel image (vmlinuz-<version>) or its uncompressed vmlinux")
    }

    /// Nil when `bytes` do not start a bzImage (boot flag 0xAA55 and "HdrS").
    static func parseBzImage(_ bytes: [UInt8]) -> KernelImageHeader? {
        guard bytes.count >= kernelVersionOffset + 2,
              bytes[bootFlagOffset] == 0x55, bytes[bootFlagOffset + 1] == 0xAA,
              Array(bytes[headerMagicOffset..<headerMagicOffset + 4]) == Array("HdrS".utf8) else { return nil }
        let protocolVersion = UInt16(bytes[protocolVersionOffset]) | UInt16(bytes[protocolVersionOffset + 1]) << 8
        let pointer = Int(bytes[kernelVersionOffset]) | Int(bytes[kernelVersionOffset + 1]) << 8
        // kernel_version exists from protocol 2.00; 0 means none.
        guard protocolVersion >= 0x0200, pointer != 0, 0x200 + pointer < bytes.count else {
            return .bzImage(version: nil)
        }
        let start = 0x200 + pointer
        let end = bytes[start...].firstIndex { $0 == 0 || $0 == 0x20 } ?? bytes.count
        let release = String(decoding: bytes[start..<end], as: UTF8.self)
        return .bzImage(version: release.isEmpty ? nil : release)
    }

    /// Walks the PT_NOTE segments for a "Xen" note of type PHYS32_ENTRY.
    private static func elfHasPVHNote(_ head: [UInt8], handle: FileHandle, path: String) throws -> Bool {
        let elfHeader = Data(head.prefix(64))
        guard elfHeader.count == 64, elfHeader[4] == 2, elfHeader[5] == 1 else {
            throw IsoprobeError(.usage, "\(path) is not a 64-bit little-endian ELF kernel")
        }
        guard elfHeader.le16(18) == 62 else {
            throw IsoprobeError(.usage, "\(path) is not an x86-64 kernel (ELF machine \(elfHeader.le16(18)))")
        }
        let phoff = elfHeader.le64(0x20), phentsize = Int(elfHeader.le16(0x36)), phnum = Int(elfHeader.le16(0x38))
        guard phentsize >= 56, phnum > 0, phnum < 256 else { return false }
        let table = try readAt(handle, offset: phoff, count: phentsize * phnum)
        for i in 0..<phnum where table.count >= (i + 1) * phentsize {
            let entry = Data(table[(i * phentsize)..<(i * phentsize + 56)])
            guard entry.le32(0) == 4 else { continue }  // PT_NOTE
            let size = entry.le64(0x20)
            guard size > 0, size < 1 << 20 else { continue }
            let notes = try readAt(handle, offset: entry.le64(8), count: Int(size))
            if containsPVHNote(notes) { return true }
        }
        return false
    }

    /// ELF notes: namesz, descsz, type, then name and descriptor each padded to 4 bytes.
    static func containsPVHNote(_ notes: Data) -> Bool {
        let bytes = [UInt8](notes)
        var offset = 0
        func align(_ n: Int) -> Int { (n + 3) & ~3 }
        while offset + 12 <= bytes.count {
            let header = Data(bytes[offset..<offset + 12])
            let nameSize = Int(header.le32(0)), descSize = Int(header.le32(4)), type = header.le32(8)
            let nameStart = offset + 12
            guard nameSize <= bytes.count, descSize <= bytes.count,
                  nameStart + align(nameSize) + align(descSize) <= bytes.count else { return false }
            let name = bytes[nameStart..<nameStart + nameSize].prefix { $0 != 0 }
            if type == pvhNoteType && Array(name) == Array("Xen".utf8) { return true }
            offset = nameStart + align(nameSize) + align(descSize)
        }
        return false
    }

    /// The release from the `Linux version <release> (...)` banner every kernel carries
    /// uncompressed in .rodata: for a vmlinux whose name does not say (a build tree's `vmlinux`).
    static func bannerVersion(_ path: String) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { return nil }
        let needle = Array("Linux version ".utf8)
        return data.withUnsafeBytes { raw -> String? in
            var searchFrom = 0
            while let hit = ByteSearch.firstOffset(of: needle, in: UnsafeRawBufferPointer(rebasing: raw[searchFrom...])) {
                let start = searchFrom + hit + needle.count
                var end = start
                while end < raw.count, end - start < 128, raw[end] > 0x20, raw[end] < 0x7F { end += 1 }
                // The banner is followed by " (builder@host)"; format strings such as
                // "Linux version %s" are not releases.
                if end > start, end < raw.count, raw[end] == 0x20, raw[start] >= 0x30, raw[start] <= 0x39 {
                    return String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<end]), as: UTF8.self)
                }
                searchFrom = start
            }
            return nil
        }
    }

    private static func readAt(_ handle: FileHandle, offset: UInt64, count: Int) throws -> Data {
        try handle.seek(toOffset: offset)
        return try handle.read(upToCount: count) ?? Data()
    }
}

extension Data {
    func le16(_ at: Int) -> UInt16 {
        UInt16(self[startIndex + at]) | UInt16(self[startIndex + at + 1]) << 8
    }

    func le32(_ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[startIndex + at + $1]) << (8 * UInt32($1)) }
    }

    func le64(_ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[startIndex + at + $1]) << (8 * UInt64($1)) }
    }
}
