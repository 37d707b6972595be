import Foundation
import SystemPackage

extension FileSet {
    /// Writes the set as a directory tree rooted at `directory` (a container rootfs), creating it
    /// if needed. Entries already there are replaced; other files there are left alone.
    ///
    /// Host files are hard-linked when `hardLinks` is set, the source is on the same file system
    /// and its mode is the entry's (a chmod through a link would change the host file), else
    /// copied. A linked tree shares inodes with the host: mount it read-only or pass
    /// `hardLinks: false` if the guest may write to it.
    public func materialize(into directory: String, hardLinks: Bool = true) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GuestImageError.io(path: directory, operation: "cannot create", reason: "\(error.localizedDescription)")
        }
        let root = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let ordered = writingOrder
        for entry in ordered {
            let target = root + entry.path
            switch entry.content {
            case .directory:
                try makeDirectory(target)
            case let .file(source):
                try removeNonDirectory(target)
                if !(hardLinks && Self.link(source, to: target, mode: entry.mode)) {
                    try Self.copy(source, to: target, mode: entry.mode)
                }
            case let .symlink(destination):
                try removeNonDirectory(target)
                guard symlink(destination, target) == 0 else { throw GuestImageError.io(target, "cannot create symlink") }
            case let .inline(data):
                try removeNonDirectory(target)
                try Self.write(data, to: target, mode: entry.mode)
            }
        }
        // Modes last and deepest first, so a read-only directory does not stop its own filling.
        for entry in ordered.reversed() where entry.content == .directory {
            guard chmod(root + entry.path, mode_t(entry.mode)) == 0 else {
                throw GuestImageError.io(root + entry.path, "cannot chmod")
            }
        }
    }

    /// Parents are created before children and are never symlinks (a non-directory in the way
    /// is removed), so nothing is written outside the tree through a link left there.
    private func makeDirectory(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            if st.st_mode & S_IFMT == S_IFDIR {
                // A read-only directory from an earlier run must take new entries; the final pass
                // restores its mode. Failure is left to the writes that follow to report.
                _ = chmod(path, (st.st_mode & 0o7777) | 0o700)
                return
            }
            guard unlink(path) == 0 else { throw GuestImageError.io(path, "cannot replace") }
        }
        guard mkdir(path, 0o700) == 0 else { throw GuestImageError.io(path, "cannot create directory") }
    }

    private func removeNonDirectory(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard st.st_mode & S_IFMT != S_IFDIR else {
            throw GuestImageError.io(path: path, operation: "cannot replace", reason: "a directory is in the way")
        }
        guard unlink(path) == 0 else { throw GuestImageError.io(path, "cannot replace") }
    }

    /// False when a copy is needed: another file system, a different mode, or linking refused
    /// (fs.protected_hardlinks for files of other users).
    private static func link(_ source: String, to target: String, mode: UInt32) -> Bool {
        var st = stat()
        guard stat(source, &st) == 0, UInt32(st.st_mode) & 0o7777 == mode else { return false }
        // AT_SYMLINK_FOLLOW: a library's soname symlink must become the library, not a link to it.
        return linkat(AT_FDCWD, source, AT_FDCWD, target, AT_SYMLINK_FOLLOW) == 0
    }

    private static func copy(_ source: String, to target: String, mode: UInt32) throws {
        let input = try GuestImageError.io(source, "cannot open") {
            try FileDescriptor.open(source, .readOnly, options: .closeOnExec)
        }
        defer { try? input.close() }
        let output = try create(target)
        defer { try? output.close() }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try GuestImageError.io(source, "cannot read") { try buffer.withUnsafeMutableBytes { try input.read(into: $0) } }
            if n == 0 { break }
            try GuestImageError.io(target, "cannot write") { try output.writeAll(buffer[..<n]) }
        }
        guard fchmod(output.rawValue, mode_t(mode)) == 0 else { throw GuestImageError.io(target, "cannot chmod") }
    }

    private static func write(_ data: Data, to target: String, mode: UInt32) throws {
        let output = try create(target)
        defer { try? output.close() }
        try GuestImageError.io(target, "cannot write") { try output.writeAll(data) }
        // fchmod, not the open mode, so the umask does not apply.
        guard fchmod(output.rawValue, mode_t(mode)) == 0 else { throw GuestImageError.io(target, "cannot chmod") }
    }

    private static func create(_ path: String) throws -> FileDescriptor {
        try GuestImageError.io(path, "cannot create") {
            try FileDescriptor.open(path, .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                                    permissions: .ownerReadWrite)
        }
    }
}
