import Foundation
import SystemPackage

/// A file isoprobe writes for its own next step and never needs after a crash (a bundle's
/// config.json, written before every container run): written whole with plain writes.
/// Foundation's `Data.write(to:)` also calls fsync, which costs milliseconds on a disk
/// and puts a flush on the timed path of every run.
public enum WorkingFile {
    /// Throws an `Errno`; `words(_:)` turns it into the text of an error line.
    public static func write(_ data: Data, to path: String) throws {
        let fd = try FileDescriptor.open(path, .writeOnly, options: [.create, .truncate, .closeOnExec],
                                         permissions: [.ownerReadWrite, .groupRead, .otherRead])
        _ = try fd.closeAfter { try fd.writeAll(data) }
    }

    public static func words(_ error: Error) -> String {
        (error as? Errno).map { ErrorWords.of(errno: $0.rawValue) } ?? "\(error)"
    }
}
