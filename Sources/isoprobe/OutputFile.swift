import Foundation
import IsoprobeCore
import SystemPackage

/// A path the user named for output (`--json`, `--out`, `export --output`, verify's
/// reports). isoprobe runs as root, so what is already at the path decides how it is
/// written: only a regular file (or nothing) is replaced, by a rename that a reader never
/// sees half-done; a device or a FIFO is written in place, so `--json /dev/null` leaves
/// /dev/null a device; a symlink is followed to its target and stays a symlink.
enum OutputFile {
    /// Links followed before giving up, as the kernel's own limit (ELOOP) does.
    static let maxLinks = 40

    static func write(_ data: Data, to path: String) throws {
        try write(data, to: path, named: path, links: 0)
    }

    /// A report to `--output PATH`, or to standard output without one.
    static func write(_ text: String, toOutput path: String?) throws {
        if let path {
            try write(Data(text.utf8), to: path)
        } else {
            print(text, terminator: "")
        }
    }

    /// Whether writing replaces a file (or makes one). A device or FIFO takes each write as
    /// more output, so partial results are written there only once, at the end.
    static func isReplaced(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return errno == ENOENT }
        return st.st_mode & S_IFMT == S_IFREG
    }

    private static func write(_ data: Data, to path: String, named original: String, links: Int) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            let err = errno
            guard err == ENOENT else { throw failure(original, err) }
            return try replace(data, at: path, named: original)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            try replace(data, at: path, named: original)
        case S_IFLNK:
            guard links < maxLinks else {
                throw IsoprobeError(.usage, "cannot write \(original): more than \(maxLinks) symbolic links",
                                    fix: "give a path whose links end in a file")
            }
            try write(data, to: try target(of: path, named: original), named: original, links: links + 1)
        case S_IFCHR, S_IFIFO:
            try writeInPlace(data, at: path, named: original)
        case S_IFDIR:
            throw IsoprobeError(.usage, "cannot write \(original): it is a folder",
                                fix: "give a file path, for example \((original as NSString).appendingPathComponent("result.json"))")
        default:
            throw IsoprobeError(.usage, "cannot write \(original): it is a socket or a block device, not a file",
                                fix: "give a regular file path, a character device or a FIFO")
        }
    }

    /// The link's target, relative targets taken from the link's own folder.
    private static func target(of link: String, named original: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(link, &buffer, buffer.count - 1)
        guard n >= 0 else { throw failure(original, errno) }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target.hasPrefix("/") { return target }
        return ((link as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
    }

    /// Written beside, flushed, and renamed into place; the partial file never outlives a failure.
    private static func replace(_ data: Data, at path: String, named original: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).isoprobe-\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(original, errno) }
        var ok = false
        defer { if !ok { unlink(temporary) } }
        do {
            try writeAll(data, to: fd, named: original)
            guard fsync(fd) == 0 else { throw failure(original, errno) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure(original, errno) }
        guard rename(temporary, path) == 0 else { throw failure(original, errno) }
        ok = true
    }

    /// A device or FIFO: opened as it is, never created or truncated.
    private static func writeInPlace(_ data: Data, at path: String, named original: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw failure(original, errno) }
        defer { close(fd) }
        try writeAll(data, to: fd, named: original)
    }

    private static func writeAll(_ data: Data, to fd: Int32, named original: String) throws {
        do {
            try FileDescriptor(rawValue: fd).writeAll(data)
        } catch let error as Errno {
            throw failure(original, error.rawValue)
        }
    }

    private static func failure(_ path: String, _ err: Int32) -> IsoprobeError {
        let fix: String
        switch err {
        case ENOENT: fix = "create the folder first, or give a path in an existing folder"
        case EACCES, EPERM, EROFS: fix = "give a path you can write"
        case ENOSPC, EDQUOT: fix = "free space on that filesystem, or write elsewhere"
        default: fix = "give another path"
        }
        return IsoprobeError(.failed, "cannot write \(path)", fix: fix, cause: ErrorWords.of(errno: err))
    }
}
