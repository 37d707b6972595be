import Foundation

/// The shared-library closure of an ELF executable, found the way glibc's loader finds it:
/// breadth-first over DT_NEEDED, a name already satisfied (by a loaded object's needed name
/// or soname, including the loader's) is not searched again, and each name is searched in the
/// requester's DT_RPATH chain (only when it has no DT_RUNPATH), its DT_RUNPATH, then `searchPath`.
/// LD_LIBRARY_PATH is ignored: the guest does not inherit the host's environment.
///
/// Each library also gets the path the guest loader will look at (`imagePath`), which differs
/// from the host path when it was found through `$ORIGIN` of an object installed elsewhere in
/// the image, or in a directory only the host's ld.so.cache knows.
public struct ELFDependencies: Equatable, Sendable {
    public struct Library: Equatable, Sendable {
        /// As written in DT_NEEDED.
        public let name: String
        /// Where it was found; may be a symlink, whose target's contents are what gets loaded.
        public let hostPath: String
        public let imagePath: String
        /// The first object that needed it (the executable or another library).
        public let neededBy: String
    }

    public let executable: String
    public let imagePath: String
    /// PT_INTERP, the same path on the host and in the guest.
    public let interpreter: String?
    public let libraries: [Library]

    public var isStatic: Bool { interpreter == nil && libraries.isEmpty }

    /// - Parameter installedAt: where the executable will be in the image (default: its host
    ///   path); `$ORIGIN` in the image is relative to it.
    public init(executable: String, installedAt imagePath: String? = nil,
                searchPath: LibrarySearchPath = .host()) throws {
        let elf = try ELFFile(path: executable)
        self.executable = executable
        self.imagePath = Self.lexicallyNormalized(imagePath ?? executable)
        interpreter = elf.interpreter

        var satisfied = Set<String>()
        if let interpreter = elf.interpreter {
            guard FileManager.default.fileExists(atPath: interpreter) else {
                throw GuestImageError.libraryNotFound(library: interpreter, neededBy: executable,
                                                      binary: executable, searched: [interpreter])
            }
            let loader = try ELFFile(path: interpreter)
            satisfied.insert(loader.soname ?? (interpreter as NSString).lastPathComponent)
        }

        // glibc takes $ORIGIN of the executable from /proc/self/exe, which is resolved.
        let hostOrigin = ((executable as NSString).resolvingSymlinksInPath as NSString).deletingLastPathComponent
        var objects = [Object(elf: elf, hostPath: executable, hostOrigin: hostOrigin,
                              imagePath: self.imagePath, parent: nil)]
        var libraries: [Library] = []
        var next = 0
        while next < objects.count {
            for name in objects[next].elf.needed where !satisfied.contains(name) {
                let found = try Self.locate(name, requester: next, in: objects, machine: elf.machine,
                                            searchPath: searchPath, binary: executable)
                satisfied.insert(name)
                if let soname = found.elf.soname { satisfied.insert(soname) }
                libraries.append(Library(name: name, hostPath: found.hostPath, imagePath: found.imagePath,
                                         neededBy: objects[next].hostPath))
                objects.append(found)
            }
            next += 1
        }
        self.libraries = libraries
    }

    /// Every host file to copy besides the executable, with where it goes: loader, then libraries.
    public var files: [(hostPath: String, imagePath: String)] {
        (interpreter.map { [($0, $0)] } ?? []) + libraries.map { ($0.hostPath, $0.imagePath) }
    }

    // MARK: - Search

    private struct Object {
        var elf: ELFFile
        var hostPath: String
        /// Libraries use the directory they were opened from, unresolved, as glibc does.
        var hostOrigin: String
        var imagePath: String
        var parent: Int?
    }

    private struct Candidate: Equatable {
        var hostDirectory: String
        var imageDirectory: String
    }

    private static func locate(_ name: String, requester: Int, in objects: [Object], machine: UInt16,
                               searchPath: LibrarySearchPath, binary: String) throws -> Object {
        let loader = objects[requester]
        var candidates: [Candidate] = []
        if name.contains("/") {
            // A path in DT_NEEDED is opened as is, with no search.
            let directory = (name as NSString).deletingLastPathComponent
            candidates = [Candidate(hostDirectory: directory, imageDirectory: directory)]
        } else {
            if loader.elf.runpath.isEmpty {
                var current: Int? = requester
                while let index = current {
                    if objects[index].elf.runpath.isEmpty {
                        candidates += expand(objects[index].elf.rpath, for: objects[index])
                    }
                    current = objects[index].parent
                }
            }
            candidates += expand(loader.elf.runpath, for: loader)
            candidates += searchPath.directories.map {
                Candidate(hostDirectory: $0, imageDirectory: searchPath.guestDirectory(for: $0))
            }
        }

        var searched: [String] = []
        let file = (name as NSString).lastPathComponent
        for candidate in candidates where !searched.contains(candidate.hostDirectory) {
            searched.append(candidate.hostDirectory)
            let hostPath = candidate.hostDirectory + "/" + file
            var st = stat()
            guard stat(hostPath, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            // The loader skips files of another class or machine (i386 libraries in /usr/lib32).
            guard let elf = try? ELFFile(path: hostPath), elf.machine == machine else { continue }
            return Object(elf: elf, hostPath: hostPath, hostOrigin: candidate.hostDirectory,
                          imagePath: lexicallyNormalized(candidate.imageDirectory + "/" + file),
                          parent: requester)
        }
        throw GuestImageError.libraryNotFound(library: name, neededBy: loader.hostPath, binary: binary,
                                              searched: searched)
    }

    /// DT_RPATH/DT_RUNPATH entries with `$ORIGIN` expanded on both sides. Entries with other
    /// tokens ($LIB, $PLATFORM) or relative ones (the current directory) name nothing a guest has.
    private static func expand(_ entries: [String], for object: Object) -> [Candidate] {
        let imageOrigin = (object.imagePath as NSString).deletingLastPathComponent
        return entries.compactMap { entry in
            func substitute(_ origin: String) -> String {
                entry.replacingOccurrences(of: "${ORIGIN}", with: origin)
                    .replacingOccurrences(of: "$ORIGIN", with: origin)
            }
            let host = substitute(object.hostOrigin)
            guard host.hasPrefix("/"), !host.contains("$") else { return nil }
            return Candidate(hostDirectory: host, imageDirectory: lexicallyNormalized(substitute(imageOrigin)))
        }
    }

    /// Collapses `.` and `..` by name: in the image every directory is a real one, so that is
    /// what the guest kernel will resolve.
    static func lexicallyNormalized(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }
}
