import Foundation
import SystemPackage

/// The SVR4 "newc" cpio format, as the kernel's initramfs unpacker reads it
/// (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII header
/// ("070701" and thirteen 8-digit hex fields), the NUL-terminated name padded so header and
/// name end on a 4-byte boundary, the data padded likewise, and a final "TRAILER!!!".
///
/// Owner root, mtime 0 and inode numbers in writing order make the bytes depend only on what
/// is written. Every entry has nlink 1 (directories 2): the unpacker hard-links regular files
/// that share an inode only when nlink >= 2, so no two entries are ever merged.
struct CpioNewcWriter {
    /// Where bytes go: kept in memory, or flushed to a file descriptor in large writes.
    private let fd: FileDescriptor?
    private let outputPath: String
    private(set) var buffer = Data()
    private var nextInode: UInt32 = 1

    private static let flushThreshold = 1 << 20
    static let maximumFileSize = UInt64(UInt32.max)

    init() {
        fd = nil
        outputPath = "<memory>"
    }

    init(fd: FileDescriptor, path: String) {
        self.fd = fd
        outputPath = path
    }

    mutating func directory(_ name: String, mode: UInt32) throws {
        try header(name: name, mode: UInt32(S_IFDIR) | mode, nlink: 2, size: 0)
    }

    mutating func symlink(_ name: String, target: String) throws {
        let bytes = Data(target.utf8)
        try header(name: name, mode: UInt32(S_IFLNK) | 0o777, nlink: 1, size: UInt64(bytes.count))
        try append(bytes)
        try pad(bytes.count)
    }

    mutating func file(_ name: String, mode: UInt32, contents: Data) throws {
        try header(name: name, mode: UInt32(S_IFREG) | mode, nlink: 1, size: UInt64(contents.count))
        try append(contents)
        try pad(contents.count)
    }

    /// Streams the file so large libraries are never held whole in memory; the size is taken
    /// once, and a file that shrinks meanwhile is an error rather than a short entry.
    mutating func file(_ name: String, mode: UInt32, source: String) throws {
        let input = try GuestImageError.io(source, "cannot open") {
            try FileDescriptor.open(source, .readOnly, options: .closeOnExec)
        }
        defer { try? input.close() }
        var st = stat()
        guard fstat(input.rawValue, &st) == 0 else { throw GuestImageError.io(source, "cannot stat") }
        let size = UInt64(st.st_size)
        guard size <= Self.maximumFileSize else { throw GuestImageError.tooLargeForCpio(path: source, size: size) }
        try header(name: name, mode: UInt32(S_IFREG) | mode, nlink: 1, size: size)
        var remaining = Int(size)
        var chunk = [UInt8](repeating: 0, count: min(remaining, 1 << 20))
        while remaining > 0 {
            let want = min(remaining, chunk.count)
            let n = try GuestImageError.io(source, "cannot read") {
                try chunk.withUnsafeMutableBytes { try input.read(into: .init(rebasing: $0[..<want])) }
            }
            guard n > 0 else {
                throw GuestImageError.io(path: source, operation: "cannot archive", reason: "it shrank while being read")
            }
            chunk.withUnsafeBytes { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            try flushIfFull()
            remaining -= n
        }
        try pad(Int(size))
    }

    /// Writes the trailer and anything still buffered; for an in-memory writer, `buffer` is the archive.
    mutating func finish() throws {
        nextInode = 0
        try header(name: "TRAILER!!!", mode: 0, nlink: 1, size: 0)
        try flush()
    }

    private mutating func header(name: String, mode: UInt32, nlink: UInt32, size: UInt64) throws {
        let nameBytes = Data(name.utf8) + [0]
        let ino = nextInode
        nextInode &+= 1
        let fields: [UInt32] = [
            ino, mode, 0, 0, nlink, 0, UInt32(size),
            0, 0, 0, 0,                      // dev and rdev, major and minor
            UInt32(nameBytes.count), 0,      // name size with its NUL; check (unused by newc)
        ]
        var header = Data("070701".utf8)
        header.reserveCapacity(110 + nameBytes.count + 3)
        let digits = Array("0123456789ABCDEF".utf8)
        for field in fields {
            for shift in stride(from: 28, through: 0, by: -4) {
                header.append(digits[Int((field >> UInt32(shift)) & 0xF)])
            }
        }
        header.append(nameBytes)
        header.append(contentsOf: [UInt8](repeating: 0, count: (4 - header.count % 4) % 4))
        try append(header)
    }

    private mutating func pad(_ count: Int) throws {
        try append(Data(count: (4 - count % 4) % 4))
    }

    private mutating func append(_ data: Data) throws {
        buffer.append(data)
        try flushIfFull()
    }

    private mutating func flushIfFull() throws {
        if fd != nil && buffer.count >= Self.flushThreshold { try flush() }
    }

    private mutating func flush() throws {
        guard let fd else { return }
        try GuestImageError.io(outputPath, "cannot write") { try fd.writeAll(buffer) }
        buffer.removeAll(keepingCapacity: true)
    }
}
