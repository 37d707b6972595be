import Foundation

/// The files a guest root holds, keyed by destination path: the container rootfs and the VM
/// initramfs are both written from one `FileSet`, so the two environments see the same files.
///
/// Insertion order is kept for inspection; the writers sort by path instead, so equal sets give
/// equal output however they were assembled. Adding an entry adds its missing parent directories
/// (mode 0755); adding the same thing twice is a no-op, adding something different at a taken
/// path throws `GuestImageError.conflict` naming the path.
public struct FileSet: Equatable, Sendable {
    public enum Content: Equatable, Sendable {
        /// A host file, read when the set is written (symlinks in `source` are followed).
        case file(source: String)
        case directory
        case symlink(target: String)
        /// Generated contents such as /etc/passwd or an init script.
        case inline(Data)
    }

    public struct Entry: Equatable, Sendable {
        /// Absolute and normalized: no `.`, `..`, empty or trailing components.
        public var path: String
        public var content: Content
        /// Permission bits only (0o7777); the file type comes from `content`.
        public var mode: UInt32
    }

    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    /// Parents created on the way to an entry: an explicit `addDirectory` may still set their mode.
    private var implicitDirectories: Set<String> = []

    public init() {}

    public var paths: [String] { entries.map(\.path) }
    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    public subscript(path: String) -> Entry? {
        guard let normalized = try? Self.normalize(path), let i = index[normalized] else { return nil }
        return entries[i]
    }

    public func contains(_ path: String) -> Bool { self[path] != nil }

    /// A host file at `destination`; `mode` defaults to the source's permission bits.
    public mutating func addFile(from source: String, at destination: String, mode: UInt32? = nil) throws {
        let sourceMode = try Self.regularFileMode(source)
        try insert(Entry(path: Self.normalize(destination), content: .file(source: source),
                         mode: (mode ?? sourceMode) & 0o7777))
    }

    public mutating func addFile(at destination: String, contents: Data, mode: UInt32 = 0o644) throws {
        try insert(Entry(path: Self.normalize(destination), content: .inline(contents), mode: mode & 0o7777))
    }

    public mutating func addFile(at destination: String, contents: String, mode: UInt32 = 0o644) throws {
        try addFile(at: destination, contents: Data(contents.utf8), mode: mode)
    }

    public mutating func addDirectory(at destination: String, mode: UInt32 = 0o755) throws {
        let path = try Self.normalize(destination)
        if let i = index[path], implicitDirectories.contains(path) {
            implicitDirectories.remove(path)
            entries[i].mode = mode & 0o7777
            return
        }
        try insert(Entry(path: path, content: .directory, mode: mode & 0o7777))
    }

    /// `target` is stored as given: relative targets keep working when the tree is inspected
    /// from the host, absolute ones resolve inside the guest only.
    public mutating func addSymlink(at destination: String, target: String) throws {
        let path = try Self.normalize(destination)
        guard !target.isEmpty, !target.contains("\0") else {
            throw GuestImageError.invalidDestination(path, reason: "empty or NUL in symlink target")
        }
        try insert(Entry(path: path, content: .symlink(target: target), mode: 0o777))
    }

    /// Every entry of `other`, under the same rules as adding them one by one.
    public mutating func merge(_ other: FileSet) throws {
        var merged = self
        for entry in other.entries {
            if entry.content == .directory, other.implicitDirectories.contains(entry.path) {
                try merged.addImplicitDirectory(entry.path, for: entry.path)
            } else if entry.content == .directory {
                try merged.addDirectory(at: entry.path, mode: entry.mode)
            } else {
                try merged.insert(entry)
            }
        }
        self = merged
    }

    // MARK: - Internals

    private mutating func insert(_ entry: Entry) throws {
        if let i = index[entry.path] {
            try Self.check(existing: entries[i], new: entry,
                           existingIsImplicit: implicitDirectories.contains(entry.path))
            return
        }
        // Parents first, so a failure leaves the set as it was.
        var updated = self
        try updated.addParents(of: entry.path)
        updated.index[entry.path] = updated.entries.count
        updated.entries.append(entry)
        self = updated
    }

    private mutating func addParents(of path: String) throws {
        var parent = ""
        for component in path.split(separator: "/").dropLast() {
            parent += "/" + component
            try addImplicitDirectory(parent, for: path)
        }
    }

    private mutating func addImplicitDirectory(_ directory: String, for path: String) throws {
        if let i = index[directory] {
            guard entries[i].content == .directory else {
                throw GuestImageError.conflict(path: directory, existing: Self.describe(entries[i]),
                                               new: "a directory (parent of \(path))")
            }
            return
        }
        try addParents(of: directory)
        index[directory] = entries.count
        entries.append(Entry(path: directory, content: .directory, mode: 0o755))
        implicitDirectories.insert(directory)
    }

    private static func check(existing: Entry, new: Entry, existingIsImplicit: Bool) throws {
        switch (existing.content, new.content) {
        case (.directory, .directory) where existing.mode == new.mode || existingIsImplicit:
            return
        case let (.file(a), .file(b)) where existing.mode == new.mode && sameFile(a, b):
            return
        case (.symlink, .symlink), (.inline, .inline):
            if existing == new { return }
        default:
            break
        }
        throw GuestImageError.conflict(path: new.path, existing: describe(existing), new: describe(new))
    }

    /// Two spellings of one host file (/lib/x vs /usr/lib/x on merged-/usr) are not a conflict.
    private static func sameFile(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    static func describe(_ entry: Entry) -> String {
        let mode = String(entry.mode, radix: 8)
        switch entry.content {
        case let .file(source): return "file from \(source) (mode \(mode))"
        case .directory: return "directory (mode \(mode))"
        case let .symlink(target): return "symlink to \(target)"
        case let .inline(data): return "generated file of \(data.count) bytes (mode \(mode))"
        }
    }

    static func normalize(_ path: String) throws -> String {
        guard path.hasPrefix("/") else { throw GuestImageError.invalidDestination(path, reason: "not absolute") }
        guard !path.contains("\0") else { throw GuestImageError.invalidDestination(path, reason: "contains NUL") }
        var components: [Substring] = []
        for component in path.split(separator: "/") where component != "." {
            // Refusing `..` keeps every entry inside the tree it is written to.
            guard component != ".." else { throw GuestImageError.invalidDestination(path, reason: "contains ..") }
            components.append(component)
        }
        guard !components.isEmpty else { throw GuestImageError.invalidDestination(path, reason: "is the root") }
        return "/" + components.joined(separator: "/")
    }

    /// Checked when added, so a missing source fails where it was named, not when written.
    static func regularFileMode(_ source: String) throws -> UInt32 {
        var st = stat()
        guard stat(source, &st) == 0 else { throw GuestImageError.io(source, "cannot stat") }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw GuestImageError.unusableSource(source, reason: "not a regular file")
        }
        return UInt32(st.st_mode) & 0o7777
    }

    /// Parents before children, siblings by bytes of their names: the order both writers use.
    var writingOrder: [Entry] {
        entries.sorted { a, b in
            a.path.split(separator: "/").lexicographicallyPrecedes(b.path.split(separator: "/")) {
                $0.utf8.lexicographicallyPrecedes($1.utf8)
            }
        }
    }
}
