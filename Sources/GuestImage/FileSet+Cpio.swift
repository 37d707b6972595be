import Foundation
import SystemPackage

extension FileSet {
    /// The set as a newc cpio archive (an initramfs), entries in `writingOrder`: the same set
    /// gives the same bytes. Holds the whole archive in memory; see `writeCpioNewc(to:)`.
    public func cpioNewc() throws -> Data {
        var writer = CpioNewcWriter()
        try writeEntries(to: &writer)
        return writer.buffer
    }

    /// Streams the archive to `path`, through a temporary file renamed into place, so a failure
    /// never leaves a truncated initramfs that a VM would try to boot.
    public func writeCpioNewc(to path: String) throws {
        let temporary = path + ".partial-\(getpid())"
        let fd = try GuestImageError.io(temporary, "cannot create") {
            try FileDescriptor.open(temporary, .writeOnly, options: [.create, .truncate, .closeOnExec],
                                    permissions: FilePermissions(rawValue: 0o644))
        }
        var isOpen = true
        defer { if isOpen { try? fd.close() } }
        do {
            var writer = CpioNewcWriter(fd: fd, path: temporary)
            try writeEntries(to: &writer)
            isOpen = false
            try GuestImageError.io(temporary, "cannot write") { try fd.close() }
            guard rename(temporary, path) == 0 else { throw GuestImageError.io(path, "cannot rename \(temporary) to") }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    private func writeEntries(to writer: inout CpioNewcWriter) throws {
        for entry in writingOrder {
            // Names are relative to the unpack root, as `find . | cpio` would give without "./".
            let name = String(entry.path.dropFirst())
            switch entry.content {
            case .directory: try writer.directory(name, mode: entry.mode)
            case let .symlink(target): try writer.symlink(name, target: target)
            case let .inline(data): try writer.file(name, mode: entry.mode, contents: data)
            case let .file(source): try writer.file(name, mode: entry.mode, source: source)
            }
        }
        try writer.finish()
    }
}
