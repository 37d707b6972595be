import Foundation
import IsoprobeCore

/// Ctrl-C and SIGTERM. Handlers registered here run on a signal queue (killing a
/// workload's cgroup, say) so the main flow returns normally, releases what it holds,
/// saves what it has and then reports the interruption.
public final class Interruption: @unchecked Sendable {
    public static let shared = Interruption()

    private let lock = NSLock()
    private var handlers: [Int: () -> Void] = [:]
    private var nextToken = 0
    private var sources: [DispatchSourceSignal] = []
    private var signalled: Int32 = 0

    /// Installs the SIGINT and SIGTERM handlers (once).
    public func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.fire(sig) }
            source.resume()
            sources.append(source)
        }
    }

    private func fire(_ sig: Int32) {
        lock.lock()
        signalled = sig
        let actions = Array(handlers.values)
        lock.unlock()
        for action in actions { action() }
    }

    /// The error that reports an interruption by `sig`, in the one wording isoprobe uses.
    public static func error(_ sig: Int32) -> IsoprobeError {
        IsoprobeError(.interrupted, "interrupted by signal \(sig) (\(String(cString: strsignal(sig))))")
    }

    /// Throws the interruption if a signal has arrived.
    public func check() throws {
        if let sig = signal { throw Self.error(sig) }
    }

    /// The signal that arrived, if any.
    public var signal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signalled == 0 ? nil : signalled
    }

    public var isInterrupted: Bool { signal != nil }

    /// Runs action when a signal arrives (at once if one already has) until the token is removed.
    @discardableResult
    public func onInterrupt(_ action: @escaping () -> Void) -> Int {
        lock.lock()
        let token = nextToken
        nextToken += 1
        handlers[token] = action
        let already = signalled != 0
        lock.unlock()
        if already { action() }
        return token
    }

    public func remove(_ token: Int) {
        lock.lock()
        handlers[token] = nil
        lock.unlock()
    }
}
