import Foundation
@testable import GuestImage
import Testing

@Suite struct MaterializeTests {
    static func status(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    @Test func treeHasEveryEntryWithItsMode() throws {
        let directory = try TestSupport.temporaryDirectory("tree")
        defer { TestSupport.remove(directory) }
        let source = directory + "/source"
        try "payload".write(toFile: source, atomically: false, encoding: .utf8)
        chmod(source, 0o644)

        var set = FileSet()
        try set.addFile(from: source, at: "/linked")
        try set.addFile(from: source, at: "/copied", mode: 0o600)
        try set.addSymlink(at: "/bin/sh", target: "busybox")
        try set.addFile(at: "/etc/shadow", contents: "secret", mode: 0o600)
        try set.addFile(at: "/init", contents: "#!/bin/sh\n", mode: 0o4755)
        try set.addDirectory(at: "/tmp", mode: 0o1777)
        try set.addFile(at: "/ro/inside", contents: "x")
        try set.addDirectory(at: "/ro", mode: 0o555)
        let root = directory + "/root"
        try set.materialize(into: root)

        let host = try #require(Self.status(source))
        let linked = try #require(Self.status(root + "/linked"))
        #expect(linked.st_ino == host.st_ino, "same file system: a hard link")
        let copied = try #require(Self.status(root + "/copied"))
        #expect(copied.st_ino != host.st_ino, "another mode: a copy, so the host file keeps its mode")
        #expect(copied.st_mode & 0o7777 == 0o600)
        #expect(try #require(Self.status(source)).st_mode & 0o7777 == 0o644)
        #expect(try String(contentsOfFile: root + "/copied", encoding: .utf8) == "payload")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/bin/sh") == "busybox")
        #expect(try String(contentsOfFile: root + "/etc/shadow", encoding: .utf8) == "secret")
        #expect(Self.status(root + "/etc/shadow")?.st_mode == S_IFREG | 0o600)
        #expect(Self.status(root + "/init")?.st_mode == S_IFREG | 0o4755)
        #expect(Self.status(root + "/tmp")?.st_mode == S_IFDIR | 0o1777)
        #expect(Self.status(root + "/ro")?.st_mode == S_IFDIR | 0o555)
        #expect(try String(contentsOfFile: root + "/ro/inside", encoding: .utf8) == "x")

        // Again over the same tree: entries are replaced, nothing fails.
        try set.materialize(into: root, hardLinks: false)
        #expect(Self.status(root + "/linked")?.st_ino != host.st_ino)
        #expect(try String(contentsOfFile: root + "/linked", encoding: .utf8) == "payload")
    }

    /// A symlink left where a directory goes is replaced, not followed out of the tree.
    @Test func writesNeverLeaveTheTree() throws {
        let directory = try TestSupport.temporaryDirectory("escape")
        defer { TestSupport.remove(directory) }
        let outside = directory + "/outside"
        let root = directory + "/root"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/etc", withDestinationPath: outside)

        var set = FileSet()
        try set.addFile(at: "/etc/passwd", contents: "root")
        try set.materialize(into: root)
        #expect(Self.status(root + "/etc")?.st_mode.isDirectory == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }

    @Test(.enabled(if: TestSupport.isRoot || TestSupport.inCI, "chroot needs root"))
    func lsRunsInAChrootOfTheTree() throws {
        try TestSupport.requireRoot()
        let directory = try TestSupport.temporaryDirectory("chroot-ls")
        defer { TestSupport.remove(directory) }
        var set = FileSet()
        try set.addExecutable("/bin/ls", as: "/bin/ls")
        try set.addDirectory(at: "/proc")
        try set.materialize(into: directory)

        let result = try TestSupport.run("/usr/sbin/chroot", [directory, "/bin/ls", "/"])
        #expect(result.status == 0, "chroot \(directory) /bin/ls / failed: \(result.stderr)")
        #expect(Set(result.stdout.split(separator: "\n").map(String.init)) == ["bin", "lib", "lib64", "proc"],
                "\(result.stdout)")
    }

    /// The same set unpacked from its cpio archive runs too: what the VM boots.
    @Test(.enabled(if: TestSupport.isRoot || TestSupport.inCI, "chroot needs root"))
    func lsRunsInAChrootOfTheUnpackedArchive() throws {
        try TestSupport.requireRoot()
        let cpio = try TestSupport.requireTool("cpio", package: "cpio")
        let directory = try TestSupport.temporaryDirectory("chroot-cpio")
        defer { TestSupport.remove(directory) }
        var set = FileSet()
        try set.addExecutable("/bin/ls", as: "/bin/ls")
        try set.writeCpioNewc(to: directory + "/initramfs.cpio")
        let root = directory + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let unpack = try TestSupport.run("/bin/sh", ["-c", "cd '\(root)' && '\(cpio)' -i -d -m --quiet < ../initramfs.cpio"])
        try #require(unpack.status == 0, "\(unpack.stderr)")

        let result = try TestSupport.run("/usr/sbin/chroot", [root, "/bin/ls", "/lib/x86_64-linux-gnu"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("libc.so.6"), "\(result.stdout)")
    }

    /// $ORIGIN and a versioned-soname symlink, relocated to /opt/app: the copy still finds its library.
    /// glibc expands the main program's $ORIGIN from /proc/self/exe, so /proc is mounted, as in
    /// a container or a booted guest.
    @Test(.enabled(if: TestSupport.isRoot || TestSupport.inCI, "chroot needs root"))
    func relocatedOriginProgramRunsInAChroot() throws {
        try TestSupport.requireRoot()
        let directory = try TestSupport.temporaryDirectory("chroot-origin")
        defer { TestSupport.remove(directory) }
        let app = try SampleApplication.build(in: directory + "/build")
        var set = FileSet()
        try set.addExecutable(app.executable, as: "/opt/app/bin/hello")
        try set.addDirectory(at: "/proc")
        let root = directory + "/root"
        try set.materialize(into: root)
        let mounted = try TestSupport.run("/bin/mount", ["-t", "proc", "proc", root + "/proc"])
        try #require(mounted.status == 0, "mount proc: \(mounted.stderr)")
        defer { _ = try? TestSupport.run("/bin/umount", ["-l", root + "/proc"]) }
        #expect(Self.status(root + "/opt/app/lib/libgreet.so.1")?.st_mode.isRegularFile == true,
                "the soname symlink becomes the library itself")

        let result = try TestSupport.run("/usr/sbin/chroot", [root, "/opt/app/bin/hello"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == SampleApplication.greeting + "\n")
    }
}

extension mode_t {
    var isDirectory: Bool { self & S_IFMT == S_IFDIR }
    var isRegularFile: Bool { self & S_IFMT == S_IFREG }
}
