import Foundation
@testable import GuestImage
import Testing

/// A failed open, read or create names the path, what was tried and the C library's reason.
@Suite struct IOErrorTests {
    @Test func anArchiveInAMissingFolderIsNotCreated() throws {
        let directory = try TestSupport.temporaryDirectory("io-archive")
        defer { TestSupport.remove(directory) }
        let archive = directory + "/missing/initramfs.cpio"
        #expect(throws: GuestImageError.io(path: archive + ".partial-\(getpid())", operation: "cannot create",
                                           reason: "No such file or directory")) {
            try FileSet().writeCpioNewc(to: archive)
        }
    }

    @Test func aSourceGoneBeforeItIsWrittenCannotBeOpened() throws {
        let directory = try TestSupport.temporaryDirectory("io-source")
        defer { TestSupport.remove(directory) }
        let source = directory + "/source"
        try "payload".write(toFile: source, atomically: false, encoding: .utf8)
        var set = FileSet()
        try set.addFile(from: source, at: "/copied", mode: 0o600)
        #expect(unlink(source) == 0)
        let gone = GuestImageError.io(path: source, operation: "cannot open", reason: "No such file or directory")
        #expect(throws: gone) { try set.materialize(into: directory + "/root") }
        #expect(throws: gone) { try set.cpioNewc() }
    }

    @Test func anELFFileThatCannotBeOpenedOrRead() throws {
        let directory = try TestSupport.temporaryDirectory("io-elf")
        defer { TestSupport.remove(directory) }
        #expect(throws: GuestImageError.io(path: directory + "/none", operation: "cannot open",
                                           reason: "No such file or directory")) {
            try ELFFile(path: directory + "/none")
        }
        // A folder opens, but read(2) refuses it. An entry with a long name gives the folder a
        // size past the 16 bytes of an ELF ident on every file system.
        #expect(FileManager.default.createFile(atPath: directory + "/an-entry-with-a-name-long-enough", contents: nil))
        #expect(throws: GuestImageError.io(path: directory, operation: "cannot read", reason: "Is a directory")) {
            try ELFFile(path: directory)
        }
    }
}
