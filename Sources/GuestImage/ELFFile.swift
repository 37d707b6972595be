import Foundation
import SystemPackage

/// What the dynamic loader reads from an ELF64 little-endian object, taken from the program
/// headers the way ld.so does: stripped binaries without section headers parse the same.
public struct ELFFile: Equatable, Sendable {
    public static let machineX86_64: UInt16 = 62

    public let path: String
    /// e_machine: libraries for another machine are skipped while searching, as ld.so does.
    public let machine: UInt16
    /// PT_INTERP: the dynamic loader's path inside the guest; nil for a static binary.
    public let interpreter: String?
    /// DT_NEEDED, in load order.
    public let needed: [String]
    public let soname: String?
    /// DT_RUNPATH and DT_RPATH entries as written, `$ORIGIN` not yet expanded.
    public let runpath: [String]
    public let rpath: [String]

    /// No loader and nothing to load: the binary runs in an empty root.
    public var isStatic: Bool { interpreter == nil && needed.isEmpty }

    public init(path: String) throws {
        let reader = try Reader(path: path)
        defer { reader.close() }
        self.path = path

        let ident = try reader.bytes(16, at: 0)
        guard ident.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else { throw GuestImageError.notELF(path) }
        guard ident[4] == 2 else { throw GuestImageError.unsupportedELF(path, reason: "not 64-bit") }
        guard ident[5] == 1 else { throw GuestImageError.unsupportedELF(path, reason: "not little-endian") }

        let header = try reader.bytes(64, at: 0)
        let type = header.u16(16)
        guard type == 2 || type == 3 else {
            throw GuestImageError.unsupportedELF(path, reason: "e_type \(type) is neither an executable nor a shared object")
        }
        machine = header.u16(18)
        let phoff = header.u64(32), phentsize = Int(header.u16(54)), phnum = Int(header.u16(56))
        guard phnum != 0xFFFF else { throw GuestImageError.unsupportedELF(path, reason: "extended program header count") }
        guard phnum == 0 || phentsize >= 56 else {
            throw GuestImageError.malformedELF(path, reason: "program header size \(phentsize)")
        }

        struct Segment { var type: UInt32; var offset, vaddr, filesz: UInt64 }
        let table = try reader.bytes(phnum * phentsize, at: phoff)
        let segments = (0..<phnum).map { i -> Segment in
            let base = i * phentsize
            return Segment(type: table.u32(base), offset: table.u64(base + 8),
                           vaddr: table.u64(base + 16), filesz: table.u64(base + 32))
        }

        interpreter = try segments.first { $0.type == 3 }.map { interp in
            let bytes = try reader.bytes(Int(clamping: interp.filesz), at: interp.offset)
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }

        guard let dynamic = segments.first(where: { $0.type == 2 }) else {
            (needed, soname, runpath, rpath) = ([], nil, [], [])
            return
        }
        let dyn = try reader.bytes(Int(clamping: dynamic.filesz), at: dynamic.offset)
        var strtab: UInt64?, strsz: UInt64 = 0
        var neededOffsets: [UInt64] = [], sonameOffset: UInt64?, runpathOffset: UInt64?, rpathOffset: UInt64?
        scan: for base in stride(from: 0, to: dyn.count - 15, by: 16) {
            let tag = dyn.u64(base), value = dyn.u64(base + 8)
            switch tag {
            case 0: break scan                  // DT_NULL
            case 1: neededOffsets.append(value) // DT_NEEDED
            case 5: strtab = value              // DT_STRTAB (a virtual address)
            case 10: strsz = value              // DT_STRSZ
            case 14: sonameOffset = value       // DT_SONAME
            case 15: rpathOffset = value        // DT_RPATH
            case 29: runpathOffset = value      // DT_RUNPATH
            default: break
            }
        }
        guard neededOffsets.isEmpty && sonameOffset == nil && runpathOffset == nil && rpathOffset == nil
                || strtab != nil else {
            throw GuestImageError.malformedELF(path, reason: "dynamic section without DT_STRTAB")
        }
        var strings: [UInt8] = []
        if let strtab {
            guard let load = segments.first(where: {
                $0.type == 1 && strtab >= $0.vaddr && strtab - $0.vaddr < $0.filesz
            }) else {
                throw GuestImageError.malformedELF(path, reason: "DT_STRTAB 0x\(String(strtab, radix: 16)) is in no loaded segment")
            }
            let available = load.filesz - (strtab - load.vaddr)
            strings = try reader.bytes(Int(clamping: min(strsz, available)), at: load.offset + (strtab - load.vaddr))
        }
        func string(_ offset: UInt64) throws -> String {
            guard offset < UInt64(strings.count) else {
                throw GuestImageError.malformedELF(path, reason: "string offset \(offset) past DT_STRSZ \(strings.count)")
            }
            return String(decoding: strings[Int(offset)...].prefix { $0 != 0 }, as: UTF8.self)
        }
        // An empty entry means the current directory to ld.so: meaningless in a guest, so dropped.
        func searchList(_ offset: UInt64?) throws -> [String] {
            try offset.map { try string($0).split(separator: ":").map(String.init) } ?? []
        }
        needed = try neededOffsets.map(string)
        soname = try sonameOffset.map(string)
        runpath = try searchList(runpathOffset)
        rpath = try searchList(rpathOffset)
    }
}

extension ELFFile {
    /// Bounded reads at offsets, so a truncated or hostile file gives an error, not a crash.
    private struct Reader {
        let path: String
        let fd: FileDescriptor
        let size: UInt64

        init(path: String) throws {
            self.path = path
            fd = try GuestImageError.io(path, "cannot open") { try FileDescriptor.open(path, .readOnly, options: .closeOnExec) }
            var st = stat()
            guard fstat(fd.rawValue, &st) == 0 else {
                let code = errno
                try? fd.close()
                throw GuestImageError.io(path, "cannot stat", errno: code)
            }
            size = UInt64(st.st_size)
        }

        func close() { try? fd.close() }

        func bytes(_ count: Int, at offset: UInt64) throws -> [UInt8] {
            guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
                throw GuestImageError.malformedELF(path, reason: "\(count) bytes at offset \(offset) run past the end of the file (\(size) bytes)")
            }
            var buffer = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let n = try GuestImageError.io(path, "cannot read") {
                    try buffer.withUnsafeMutableBytes {
                        try fd.read(fromAbsoluteOffset: Int64(offset) + Int64(done), into: .init(rebasing: $0[done...]))
                    }
                }
                // Fewer bytes than fstat promised: the file shrank.
                guard n > 0 else { throw GuestImageError.io(path, "cannot read", errno: EIO) }
                done += n
            }
            return buffer
        }
    }
}

private extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[at + $1]) << (8 * $1) } }
    func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[at + $1]) << (8 * $1) } }
}
