import Foundation

extension FileSet {
    /// Adds an executable at `destination` with everything it needs to start: its loader at the
    /// PT_INTERP path and its libraries where the guest loader will look for them. Symlinked
    /// libraries are added as regular files under the name they were needed by.
    ///
    /// A `#!` script is added alone: its interpreter must be in the set by other means
    /// (/bin/sh is, in `guestRoot`). Returns the closure, nil for a script. Nothing is added
    /// when it throws.
    @discardableResult
    public mutating func addExecutable(_ path: String, as destination: String,
                                       searchPath: LibrarySearchPath = .host()) throws -> ELFDependencies? {
        var updated = self
        if try Self.isScript(path) {
            try updated.addFile(from: path, at: destination)
            self = updated
            return nil
        }
        let dependencies = try ELFDependencies(executable: path, installedAt: destination, searchPath: searchPath)
        try updated.addFile(from: path, at: destination)
        for file in dependencies.files {
            try updated.addFile(from: file.hostPath, at: file.imagePath)
        }
        self = updated
        return dependencies
    }

    private static func isScript(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw GuestImageError.io(path, "cannot open") }
        defer { try? handle.close() }
        let start = try handle.read(upToCount: 2) ?? Data()
        return start == Data("#!".utf8)
    }
}
