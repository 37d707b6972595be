import Foundation
import Host
import IsoprobeCore

/// Classic tracepoints are resolved through tracefs. Where it is not mounted, isoprobe
/// mounts it for the length of a run and unmounts it afterwards.
public enum Tracefs {
    static let candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    public static var mountedPath: String? {
        candidates.first { FileManager.default.fileExists(atPath: $0 + "/events") }
    }

    static func eventExists(_ event: String) -> Bool {
        guard let root = mountedPath else { return false }
        return FileManager.default.fileExists(atPath: "\(root)/events/\(event)/id")
    }

    /// Mounts tracefs at /sys/kernel/tracing if no tracefs is visible. Returns a token
    /// to pass to `release` (nil when nothing was mounted).
    public static func ensureMounted() -> MountToken? {
        if mountedPath != nil { return nil }
        let target = candidates[0]
        guard FileManager.default.fileExists(atPath: target) else { return nil }
        let ledger = ResourceLedger.shared.record(.mount(path: target))
        if mount("tracefs", target, "tracefs", 0, nil) == 0 {
            return MountToken(path: target, ledger: ledger)
        }
        ResourceLedger.shared.release(ledger)
        return nil
    }

    public static func release(_ token: MountToken?) {
        guard let token else { return }
        if umount2(token.path, Int32(MNT_DETACH)) != 0 && errno != EINVAL {
            FileHandle.standardError.write(Data("isoprobe: could not unmount \(token.path): \(ErrorWords.of(errno: errno))\n".utf8))
        }
        ResourceLedger.shared.release(token.ledger)
    }

    public struct MountToken: Sendable {
        public let path: String
        let ledger: ResourceLedger.Token
    }
}
