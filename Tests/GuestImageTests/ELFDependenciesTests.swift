import Foundation
@testable import GuestImage
import Testing

@Suite struct ELFDependenciesTests {
    static let loader = "/lib64/ld-linux-x86-64.so.2"

    @Test func lsIsDynamicWithLoaderAndLibc() throws {
        let elf = try ELFFile(path: "/bin/ls")
        #expect(elf.interpreter == Self.loader)
        #expect(elf.machine == ELFFile.machineX86_64)
        #expect(elf.needed.contains("libc.so.6"), "\(elf.needed)")
        #expect(!elf.isStatic)

        let closure = try ELFDependencies(executable: "/bin/ls")
        #expect(closure.interpreter == Self.loader)
        let libc = try #require(closure.libraries.first { $0.name == "libc.so.6" }, "\(closure.libraries)")
        #expect(libc.hostPath == "/lib/x86_64-linux-gnu/libc.so.6")
        #expect(libc.imagePath == libc.hostPath)
        // libc needs ld-linux-x86-64.so.2 by soname: satisfied by the loader, not copied twice.
        #expect(!closure.libraries.contains { $0.name == "ld-linux-x86-64.so.2" }, "\(closure.libraries)")
        for file in closure.files {
            #expect(FileManager.default.fileExists(atPath: file.hostPath), "\(file.hostPath)")
        }
    }

    @Test func gccStaticBinaryHasNoLoaderAndNoLibraries() throws {
        let directory = try TestSupport.temporaryDirectory("static")
        defer { TestSupport.remove(directory) }
        let binary = directory + "/static"
        try TestSupport.compile("int main(void) { return 0; }", to: binary, ["-static"])
        let elf = try ELFFile(path: binary)
        #expect(elf.interpreter == nil)
        #expect(elf.needed.isEmpty)
        #expect(elf.isStatic)
        let closure = try ELFDependencies(executable: binary)
        #expect(closure.isStatic)
        #expect(closure.files.isEmpty)
    }

    @Test(.enabled(if: (try? ELFFile(path: "/bin/busybox"))?.isStatic == true || TestSupport.inCI,
                   "/bin/busybox is not a static busybox (apt-get install busybox-static)"))
    func busyboxIsStatic() throws {
        let elf = try ELFFile(path: "/bin/busybox")
        #expect(elf.isStatic, "interpreter \(elf.interpreter ?? "none"), needed \(elf.needed)")
        #expect(try ELFDependencies(executable: "/bin/busybox").libraries.isEmpty)
    }

    @Test func python3ClosureHasLibcAndLibmAndEveryPathExists() throws {
        let python = try #require(["/usr/bin/python3"].first { FileManager.default.fileExists(atPath: $0) },
                                  "python3 not found: apt-get install -y python3")
        let closure = try ELFDependencies(executable: python)
        let names = Set(closure.libraries.map(\.name))
        #expect(names.isSuperset(of: ["libc.so.6", "libm.so.6"]), "\(names.sorted())")
        #expect(closure.interpreter == Self.loader)
        for library in closure.libraries {
            var st = stat()
            #expect(stat(library.hostPath, &st) == 0 && st.st_mode & S_IFMT == S_IFREG,
                    "\(library.name) at \(library.hostPath) is not a file")
        }
        #expect(Set(closure.libraries.map(\.imagePath)).count == closure.libraries.count, "two libraries at one path")
    }

    @Test func originRunpathIsFollowedAndRelocatedWithTheExecutable() throws {
        let directory = try TestSupport.temporaryDirectory("origin")
        defer { TestSupport.remove(directory) }
        let app = try SampleApplication.build(in: directory)
        let elf = try ELFFile(path: app.executable)
        #expect(elf.runpath == ["$ORIGIN/../lib"])
        #expect(elf.rpath.isEmpty)
        #expect(elf.needed.contains("libgreet.so.1"))

        let closure = try ELFDependencies(executable: app.executable, installedAt: "/opt/app/bin/hello")
        let greet = try #require(closure.libraries.first { $0.name == "libgreet.so.1" })
        #expect(greet.hostPath == directory + "/app/bin/../lib/libgreet.so.1")
        #expect(greet.imagePath == "/opt/app/lib/libgreet.so.1")
        #expect(greet.neededBy == app.executable)
    }

    @Test func oldStyleRpathIsFollowed() throws {
        let directory = try TestSupport.temporaryDirectory("rpath")
        defer { TestSupport.remove(directory) }
        let app = try SampleApplication.build(in: directory, newDynamicTags: false)
        let elf = try ELFFile(path: app.executable)
        #expect(elf.rpath == ["$ORIGIN/../lib"])
        #expect(elf.runpath.isEmpty)
        let closure = try ELFDependencies(executable: app.executable)
        #expect(closure.libraries.contains { $0.name == "libgreet.so.1" && $0.imagePath == app.libraryDirectory + "/libgreet.so.1" },
                "\(closure.libraries)")
    }

    @Test func unresolvableLibraryNamesTheLibraryAndTheBinary() throws {
        let directory = try TestSupport.temporaryDirectory("missing")
        defer { TestSupport.remove(directory) }
        let app = try SampleApplication.build(in: directory)
        try FileManager.default.removeItem(atPath: app.libraryDirectory)

        let error = #expect(throws: GuestImageError.self) {
            try ELFDependencies(executable: app.executable)
        }
        guard case let .libraryNotFound(library, neededBy, binary, searched)? = error else {
            Issue.record("want libraryNotFound, got \(String(describing: error))")
            return
        }
        #expect(library == "libgreet.so.1")
        #expect(binary == app.executable)
        #expect(neededBy == app.executable)
        #expect(searched.first == directory + "/app/bin/../lib")
        #expect(searched.contains("/lib/x86_64-linux-gnu"))
        let message = "\(error!)"
        #expect(message.contains("libgreet.so.1") && message.contains(app.executable), "\(message)")

        // The failed add leaves the set as it was.
        var set = FileSet()
        try set.addDirectory(at: "/keep")
        let before = set
        #expect(throws: GuestImageError.self) { try set.addExecutable(app.executable, as: "/bin/hello") }
        #expect(set == before)
    }

    /// ld.so skips a file of the wrong machine (an i386 library in /usr/lib32) and searches on.
    @Test func libraryForAnotherMachineIsSkipped() throws {
        let directory = try TestSupport.temporaryDirectory("machine")
        defer { TestSupport.remove(directory) }
        var libc = try Data(contentsOf: URL(fileURLWithPath: "/lib/x86_64-linux-gnu/libc.so.6"))
        libc[18] = 3  // e_machine EM_386
        libc[19] = 0
        try libc.write(to: URL(fileURLWithPath: directory + "/libc.so.6"))

        let search = LibrarySearchPath(directories: [directory, "/lib/x86_64-linux-gnu"])
        let closure = try ELFDependencies(executable: "/bin/ls", searchPath: search)
        #expect(closure.libraries.first { $0.name == "libc.so.6" }?.hostPath == "/lib/x86_64-linux-gnu/libc.so.6")
    }

    /// The cache-only directories are not searched by a guest without ld.so.cache.
    @Test func libraryFromAConfiguredDirectoryMovesToASystemDirectory() throws {
        let directory = try TestSupport.temporaryDirectory("configured")
        defer { TestSupport.remove(directory) }
        let app = try SampleApplication.build(in: directory)
        // A copy of the program with no runpath: only the search path can find libgreet.
        let plain = directory + "/plain"
        try TestSupport.compile("void greet(void); int main(void) { greet(); return 0; }", to: plain,
                                ["-L" + app.libraryDirectory, "-lgreet"])
        let search = LibrarySearchPath(directories: [app.libraryDirectory] + LibrarySearchPath.debianSystemDirectories)
        let closure = try ELFDependencies(executable: plain, searchPath: search)
        let greet = try #require(closure.libraries.first { $0.name == "libgreet.so.1" })
        #expect(greet.hostPath == app.libraryDirectory + "/libgreet.so.1")
        #expect(greet.imagePath == "/lib/x86_64-linux-gnu/libgreet.so.1")
    }

    @Test func ldSoConfIncludesAndCommentsAreFollowed() throws {
        let directory = try TestSupport.temporaryDirectory("ldsoconf")
        defer { TestSupport.remove(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/conf.d", withIntermediateDirectories: true)
        try "# comment\n/opt/first   # trailing\ninclude conf.d/*.conf\n\n/opt/last\n"
            .write(toFile: directory + "/ld.so.conf", atomically: false, encoding: .utf8)
        try "/opt/b\n".write(toFile: directory + "/conf.d/b.conf", atomically: false, encoding: .utf8)
        try "/opt/a1:/opt/a2\n".write(toFile: directory + "/conf.d/a.conf", atomically: false, encoding: .utf8)
        try "/opt/ignored\n".write(toFile: directory + "/conf.d/x.txt", atomically: false, encoding: .utf8)

        let search = LibrarySearchPath.host(configuration: directory + "/ld.so.conf")
        #expect(Array(search.directories.prefix(5)) == ["/opt/first", "/opt/a1", "/opt/a2", "/opt/b", "/opt/last"])
        #expect(search.directories.contains("/lib/x86_64-linux-gnu"))
        #expect(search.directories.contains("/lib64"))
    }

    @Test func notELFAndTruncatedELFAreErrors() throws {
        let directory = try TestSupport.temporaryDirectory("bad-elf")
        defer { TestSupport.remove(directory) }
        try "#!/bin/sh\necho hi\n".write(toFile: directory + "/script", atomically: false, encoding: .utf8)
        #expect(throws: GuestImageError.notELF(directory + "/script")) { try ELFFile(path: directory + "/script") }

        let head = try Data(contentsOf: URL(fileURLWithPath: "/bin/ls")).prefix(200)
        try head.write(to: URL(fileURLWithPath: directory + "/truncated"))
        let error = #expect(throws: GuestImageError.self) { try ELFFile(path: directory + "/truncated") }
        guard case .malformedELF? = error else {
            Issue.record("want malformedELF, got \(String(describing: error))")
            return
        }
    }
}
