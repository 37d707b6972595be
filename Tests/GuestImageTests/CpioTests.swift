import Foundation
@testable import GuestImage
import Testing

@Suite struct CpioTests {
    /// A small set with every kind of entry, built in the given order.
    static func sample(reversed: Bool = false) throws -> FileSet {
        var adds: [(inout FileSet) throws -> Void] = [
            { try $0.addFile(from: "/bin/ls", at: "/bin/ls") },
            { try $0.addSymlink(at: "/bin/sh", target: "busybox") },
            { try $0.addFile(at: "/etc/passwd", contents: "root:x:0:0:root:/root:/bin/sh\n") },
            { try $0.addFile(at: "/init", contents: "#!/bin/sh\n", mode: 0o755) },
            { try $0.addFile(at: "/empty", contents: Data()) },
            { try $0.addDirectory(at: "/tmp", mode: 0o1777) },
            { try $0.addDirectory(at: "/proc") },
        ]
        if reversed { adds.reverse() }
        var set = FileSet()
        for add in adds { try add(&set) }
        return set
    }

    static let expectedNames = ["bin", "bin/ls", "bin/sh", "empty", "etc", "etc/passwd", "init", "proc", "tmp"]

    @Test func cpioListsExactlyTheEntries() throws {
        let cpio = try TestSupport.requireTool("cpio", package: "cpio")
        let directory = try TestSupport.temporaryDirectory("cpio-list")
        defer { TestSupport.remove(directory) }
        let archive = directory + "/initramfs.cpio"
        try Self.sample().writeCpioNewc(to: archive)

        let listing = try TestSupport.run(cpio, ["-t", "--quiet"], input: archive)
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.split(separator: "\n").map(String.init) == Self.expectedNames)
    }

    /// GNU cpio reads back names, types, modes, link targets and contents.
    @Test func cpioExtractsWhatWasWritten() throws {
        let cpio = try TestSupport.requireTool("cpio", package: "cpio")
        let directory = try TestSupport.temporaryDirectory("cpio-extract")
        defer { TestSupport.remove(directory) }
        let archive = directory + "/initramfs.cpio"
        try Self.sample().writeCpioNewc(to: archive)
        let root = directory + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let extract = try TestSupport.run("/bin/sh", ["-c", "cd '\(root)' && '\(cpio)' -i -d -m --quiet --no-absolute-filenames < '\(archive)'"])
        #expect(extract.status == 0, "\(extract.stderr)")

        #expect(FileManager.default.contentsEqual(atPath: root + "/bin/ls", andPath: "/bin/ls"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/bin/sh") == "busybox")
        #expect(try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8) == "root:x:0:0:root:/root:/bin/sh\n")
        var st = stat()
        #expect(stat(root + "/init", &st) == 0 && st.st_mode & 0o7777 == 0o755)
        #expect(stat(root + "/tmp", &st) == 0 && st.st_mode & S_IFMT == S_IFDIR && st.st_mode & 0o7777 == 0o1777)
        #expect(stat(root + "/empty", &st) == 0 && st.st_size == 0)
    }

    @Test func sameSetGivesSameBytes() throws {
        let directory = try TestSupport.temporaryDirectory("cpio-same")
        defer { TestSupport.remove(directory) }
        let first = try Self.sample().cpioNewc()
        let second = try Self.sample().cpioNewc()
        let otherOrder = try Self.sample(reversed: true).cpioNewc()
        #expect(first == second)
        #expect(first == otherOrder, "insertion order must not matter")
        try Self.sample().writeCpioNewc(to: directory + "/a.cpio")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/a.cpio")) == first)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["a.cpio"], "no temporary left behind")
    }

    /// The layout the kernel's unpacker insists on, checked field by field.
    @Test func headersFollowTheNewcFormat() throws {
        let archive = try Self.sample().cpioNewc()
        let bytes = [UInt8](archive)
        #expect(bytes.count % 4 == 0)
        var offset = 0
        var names: [String] = []
        var seen = Set<String>()
        while true {
            try #require(offset % 4 == 0 && offset + 110 <= bytes.count, "header at \(offset)")
            let header = String(decoding: bytes[offset..<offset + 110], as: UTF8.self)
            #expect(header.hasPrefix("070701"), "magic at \(offset)")
            func field(_ i: Int) throws -> UInt32 {
                let start = header.index(header.startIndex, offsetBy: 6 + 8 * i)
                let text = header[start..<header.index(start, offsetBy: 8)]
                return try #require(UInt32(text, radix: 16), "field \(i) '\(text)' at \(offset)")
            }
            let mode = try field(1), size = Int(try field(6)), nameSize = Int(try field(11))
            #expect(try field(2) == 0 && field(3) == 0, "uid/gid 0")
            #expect(try field(5) == 0, "mtime 0")
            let nameStart = offset + 110
            let name = String(decoding: bytes[nameStart..<nameStart + nameSize - 1], as: UTF8.self)
            #expect(bytes[nameStart + nameSize - 1] == 0, "name of \(name) ends in NUL")
            let dataStart = (nameStart + nameSize + 3) & ~3
            offset = (dataStart + size + 3) & ~3
            if name == "TRAILER!!!" { break }
            names.append(name)
            let parent = (name as NSString).deletingLastPathComponent
            #expect(parent.isEmpty || seen.contains(parent), "\(name) comes before its directory")
            if mode & UInt32(S_IFMT) == UInt32(S_IFDIR) { seen.insert(name) }
            if name == "bin/sh" {
                #expect(mode == UInt32(S_IFLNK) | 0o777)
                #expect(String(decoding: bytes[dataStart..<dataStart + size], as: UTF8.self) == "busybox")
            }
        }
        #expect(offset == bytes.count, "nothing after the trailer")
        #expect(names == Self.expectedNames)
    }
}
