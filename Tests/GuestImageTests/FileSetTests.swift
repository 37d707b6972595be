import Foundation
@testable import GuestImage
import Testing

@Suite struct FileSetTests {
    @Test func addingAFileAddsItsParentsFirst() throws {
        var set = FileSet()
        try set.addFile(at: "/a/b/c", contents: "x")
        #expect(set.paths == ["/a", "/a/b", "/a/b/c"])
        #expect(set["/a/b"]?.content == .directory)
        #expect(set["/a/b"]?.mode == 0o755)
        #expect(set["//a/./b/c"]?.content == .inline(Data("x".utf8)), "lookups normalize too")
    }

    @Test func sameEntryTwiceIsKeptOnce() throws {
        var set = FileSet()
        try set.addFile(from: "/bin/ls", at: "/bin/ls")
        try set.addFile(from: "/bin/ls", at: "/bin/ls")
        try set.addSymlink(at: "/bin/dir", target: "ls")
        try set.addSymlink(at: "/bin/dir", target: "ls")
        try set.addFile(at: "/etc/x", contents: "same")
        try set.addFile(at: "/etc/x", contents: "same")
        try set.addDirectory(at: "/bin")
        #expect(set.paths == ["/bin", "/bin/ls", "/bin/dir", "/etc", "/etc/x"])
    }

    @Test func sourceModeIsTheDefault() throws {
        let directory = try TestSupport.temporaryDirectory("mode")
        defer { TestSupport.remove(directory) }
        let source = directory + "/data"
        try "data".write(toFile: source, atomically: false, encoding: .utf8)
        chmod(source, 0o640)
        var set = FileSet()
        try set.addFile(from: "/bin/ls", at: "/bin/ls")
        try set.addFile(from: source, at: "/etc/data")
        try set.addFile(from: "/bin/ls", at: "/bin/ls-private", mode: 0o700)
        #expect(set["/bin/ls"]?.mode == 0o755)
        #expect(set["/etc/data"]?.mode == 0o640)
        #expect(set["/bin/ls-private"]?.mode == 0o700)
    }

    /// /lib is a symlink to usr/lib on merged-/usr Debian: one file under two names is no conflict.
    @Test func twoSpellingsOfOneHostFileAreNoConflict() throws {
        var set = FileSet()
        try set.addFile(from: "/lib/x86_64-linux-gnu/libc.so.6", at: "/lib/x86_64-linux-gnu/libc.so.6")
        try set.addFile(from: "/usr/lib/x86_64-linux-gnu/libc.so.6", at: "/lib/x86_64-linux-gnu/libc.so.6")
        #expect(set["/lib/x86_64-linux-gnu/libc.so.6"]?.content == .file(source: "/lib/x86_64-linux-gnu/libc.so.6"))
    }

    @Test func conflictsNameThePath() throws {
        var set = FileSet()
        try set.addFile(from: "/bin/ls", at: "/bin/tool")
        try set.addFile(at: "/etc/motd", contents: "one")
        try set.addSymlink(at: "/bin/sh", target: "busybox")
        try set.addDirectory(at: "/tmp", mode: 0o1777)
        try set.addFile(at: "/etc/passwd", contents: "x", mode: 0o644)
        let before = set

        func expectConflict(at path: String, _ add: (inout FileSet) throws -> Void,
                            sourceLocation: SourceLocation = #_sourceLocation) {
            var copy = set
            let error = #expect(throws: GuestImageError.self, sourceLocation: sourceLocation) { try add(&copy) }
            guard case let .conflict(conflictPath, _, _)? = error else {
                Issue.record("want a conflict, got \(String(describing: error))", sourceLocation: sourceLocation)
                return
            }
            #expect(conflictPath == path, sourceLocation: sourceLocation)
            #expect("\(error!)".contains(path), sourceLocation: sourceLocation)
            #expect(copy == before, "a refused add changes nothing", sourceLocation: sourceLocation)
        }
        expectConflict(at: "/bin/tool") { try $0.addFile(from: "/bin/cat", at: "/bin/tool") }
        expectConflict(at: "/bin/tool") { try $0.addFile(from: "/bin/ls", at: "/bin/tool", mode: 0o700) }
        expectConflict(at: "/etc/motd") { try $0.addFile(at: "/etc/motd", contents: "two") }
        expectConflict(at: "/etc/passwd") { try $0.addFile(at: "/etc/passwd", contents: "x", mode: 0o600) }
        expectConflict(at: "/bin/sh") { try $0.addSymlink(at: "/bin/sh", target: "bash") }
        expectConflict(at: "/bin/sh") { try $0.addFile(from: "/bin/ls", at: "/bin/sh") }
        expectConflict(at: "/tmp") { try $0.addDirectory(at: "/tmp", mode: 0o755) }
        expectConflict(at: "/bin") { try $0.addFile(at: "/bin", contents: "not a directory") }
        // A file cannot be a parent: nothing may be written through it.
        expectConflict(at: "/bin/sh") { try $0.addFile(at: "/bin/sh/x", contents: "") }
        expectConflict(at: "/etc/motd") { try $0.addDirectory(at: "/etc/motd/d") }
    }

    @Test func explicitDirectoryModeReplacesAnImplicitParent() throws {
        var set = FileSet()
        try set.addFile(at: "/tmp/x", contents: "")
        try set.addDirectory(at: "/tmp", mode: 0o1777)
        #expect(set["/tmp"]?.mode == 0o1777)
        #expect(set.paths == ["/tmp", "/tmp/x"])
        try set.addFile(at: "/tmp/y/z", contents: "")
        #expect(set["/tmp"]?.mode == 0o1777, "a later implicit use keeps the explicit mode")
    }

    @Test func invalidDestinationsAndSourcesAreRefused() throws {
        var set = FileSet()
        #expect(throws: GuestImageError.invalidDestination("etc/passwd", reason: "not absolute")) {
            try set.addFile(at: "etc/passwd", contents: "")
        }
        #expect(throws: GuestImageError.invalidDestination("/a/../../etc", reason: "contains ..")) {
            try set.addDirectory(at: "/a/../../etc")
        }
        #expect(throws: GuestImageError.invalidDestination("/", reason: "is the root")) {
            try set.addDirectory(at: "/")
        }
        let missing = "/nonexistent/guestimage-source"
        let error = #expect(throws: GuestImageError.self) { try set.addFile(from: missing, at: "/x") }
        #expect("\(error!)".contains(missing))
        #expect(throws: GuestImageError.unusableSource("/etc", reason: "not a regular file")) {
            try set.addFile(from: "/etc", at: "/x")
        }
        #expect(set.isEmpty)
    }

    @Test func mergeKeepsExplicitModesAndDetectsConflicts() throws {
        var a = FileSet(), b = FileSet()
        try a.addFile(at: "/etc/passwd", contents: "root")
        try b.addFile(at: "/etc/group", contents: "root")
        try b.addDirectory(at: "/tmp", mode: 0o1777)
        try a.merge(b)
        #expect(a.paths == ["/etc", "/etc/passwd", "/etc/group", "/tmp"])
        #expect(a["/tmp"]?.mode == 0o1777)

        var c = FileSet()
        try c.addFile(at: "/etc/passwd", contents: "nobody")
        #expect(throws: GuestImageError.self) { try a.merge(c) }
    }

    @Test func writingOrderPutsParentsFirstAndIsIndependentOfInsertion() throws {
        var one = FileSet(), two = FileSet()
        try one.addFile(at: "/b/x", contents: "")
        try one.addFile(at: "/a-b/y", contents: "")
        try one.addFile(at: "/a/z", contents: "")
        try two.addFile(at: "/a/z", contents: "")
        try two.addFile(at: "/b/x", contents: "")
        try two.addFile(at: "/a-b/y", contents: "")
        let order = one.writingOrder.map(\.path)
        #expect(order == ["/a", "/a/z", "/a-b", "/a-b/y", "/b", "/b/x"])
        #expect(two.writingOrder.map(\.path) == order)
    }

    @Test func scriptsAreAddedWithoutAClosure() throws {
        let directory = try TestSupport.temporaryDirectory("script")
        defer { TestSupport.remove(directory) }
        let script = directory + "/run.sh"
        try "#!/bin/sh\necho hi\n".write(toFile: script, atomically: false, encoding: .utf8)
        chmod(script, 0o755)
        var set = FileSet()
        let closure = try set.addExecutable(script, as: "/isoprobe/workloads/run.sh")
        #expect(closure == nil)
        #expect(set.paths == ["/isoprobe", "/isoprobe/workloads", "/isoprobe/workloads/run.sh"])
        #expect(set["/isoprobe/workloads/run.sh"]?.mode == 0o755)
    }

    @Test func addExecutableAddsLoaderAndLibrariesAtTheirPaths() throws {
        var set = FileSet()
        let closure = try #require(try set.addExecutable("/bin/ls", as: "/usr/local/bin/list"))
        #expect(set["/usr/local/bin/list"]?.content == .file(source: "/bin/ls"))
        #expect(set["/lib64/ld-linux-x86-64.so.2"]?.content == .file(source: "/lib64/ld-linux-x86-64.so.2"))
        #expect(set["/lib/x86_64-linux-gnu/libc.so.6"] != nil)
        #expect(closure.libraries.allSatisfy { set[$0.imagePath] != nil })
    }
}
