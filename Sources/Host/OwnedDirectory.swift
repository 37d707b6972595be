import Foundation
import IsoprobeCore

/// A fresh folder for a run's own files (a bundle, a guest's work, a scratch directory),
/// written in the ledger from when it is made until `remove()`, so a killed isoprobe's
/// folders are found by the next one.
public final class OwnedDirectory: @unchecked Sendable {
    public let path: String
    private var token: ResourceLedger.Token?

    /// `<base>/<prefix>-XXXXXX`, mode 0700 (mkdtemp). `what` names it in the error.
    public init(in base: String = TemporaryDirectory.base, prefix: String, what: String,
                kind: IsoprobeError.Kind = .failed, fix: String? = nil) throws {
        guard let made = TemporaryDirectory.make(in: base, prefix: prefix) else {
            throw IsoprobeError(kind, "cannot create \(what) in \(base)", fix: fix, cause: ErrorWords.of(errno: errno))
        }
        path = made
        token = ResourceLedger.shared.record(.directory(path: made))
    }

    /// Deletes the folder and all in it (once; later calls do nothing).
    public func remove() {
        guard let token else { return }
        try? FileManager.default.removeItem(atPath: path)
        ResourceLedger.shared.release(token)
        self.token = nil
    }
}
