import Foundation
import Host
import IsoprobeCore

/// A directory on the host's disk for a workload's files, named by `TMPDIR` in the
/// workload's environment: fileio's writes and fsyncs then reach the same kind of storage
/// natively and in a container, where a container's own /tmp is a tmpfs (fsync is free
/// there) and many hosts mount /tmp as tmpfs too. The base is `$ISOPROBE_SCRATCH`, else
/// /var/tmp, which the FHS keeps on persistent storage.
public struct Scratch {
    let directory: OwnedDirectory
    public var path: String { directory.path }

    public static var base: String {
        let v = ProcessInfo.processInfo.environment["ISOPROBE_SCRATCH"] ?? ""
        return v.isEmpty ? "/var/tmp" : v
    }

    /// A fresh, empty directory under `base`, writable by every user (sticky, like /tmp):
    /// a container's root is an unprivileged host user when it has a user namespace.
    public static func make() throws -> Scratch {
        let base = self.base
        // A guest's root has no /var/tmp until the first run makes it.
        if access(base, F_OK) != 0 {
            try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o1777])
        }
        let directory = try OwnedDirectory(in: base, prefix: "isoprobe-scratch", what: "a scratch directory",
                                           kind: .missing, fix: "set ISOPROBE_SCRATCH to a writable directory on disk")
        chmod(directory.path, 0o1777)
        return Scratch(directory: directory)
    }

    /// Deletes the directory and whatever a workload left in it.
    public func remove() { directory.remove() }
}
