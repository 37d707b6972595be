import Foundation
import SystemPackage

/// Why a guest file set could not be built or written. Each description is one line that
/// names the path at fault, because the caller (the CLI) prints it as is.
public enum GuestImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Two different things asked for the same destination.
    case conflict(path: String, existing: String, new: String)
    /// A destination that is not absolute or climbs out of the root.
    case invalidDestination(String, reason: String)
    /// A host file that cannot be used as a source.
    case unusableSource(String, reason: String)
    case notELF(String)
    case unsupportedELF(String, reason: String)
    case malformedELF(String, reason: String)
    /// A DT_NEEDED entry found in none of the directories the loader would search.
    case libraryNotFound(library: String, neededBy: String, binary: String, searched: [String])
    case busyboxNotStatic(path: String, interpreter: String)
    case io(path: String, operation: String, reason: String)
    /// newc stores sizes in 8 hex digits.
    case tooLargeForCpio(path: String, size: UInt64)

    public var description: String {
        switch self {
        case let .conflict(path, existing, new):
            return "conflicting entries for \(path): \(existing) vs \(new)"
        case let .invalidDestination(path, reason):
            return "invalid destination path '\(path)': \(reason)"
        case let .unusableSource(path, reason):
            return "cannot use \(path): \(reason)"
        case let .notELF(path):
            return "\(path) is not an ELF file"
        case let .unsupportedELF(path, reason):
            return "\(path): unsupported ELF (\(reason))"
        case let .malformedELF(path, reason):
            return "\(path): malformed ELF (\(reason))"
        case let .libraryNotFound(library, neededBy, binary, searched):
            let via = neededBy == binary ? "" : " (via \(neededBy))"
            return "cannot find shared library \(library) needed by \(binary)\(via); searched: "
                + (searched.isEmpty ? "nothing" : searched.joined(separator: ":"))
        case let .busyboxNotStatic(path, interpreter):
            return "\(path) is not a static busybox (it needs the dynamic loader \(interpreter)); "
                + "the guest uses it before any library is there (apt-get install busybox-static)"
        case let .io(path, operation, reason):
            return "\(operation) \(path): \(reason)"
        case let .tooLargeForCpio(path, size):
            return "\(path) is \(size) bytes, more than a newc cpio entry can hold (4 GiB - 1)"
        }
    }

    static func io(_ path: String, _ operation: String, errno code: Int32 = errno) -> GuestImageError {
        .io(path: path, operation: operation, reason: Errno(rawValue: code).description)
    }

    /// What `body` returns; the Errno it throws (a FileDescriptor call's) as `.io` on `path`.
    @discardableResult
    static func io<T>(_ path: String, _ operation: String, _ body: () throws -> T) rethrows -> T {
        do {
            return try body()
        } catch let error as Errno {
            throw io(path, operation, errno: error.rawValue)
        }
    }
}
