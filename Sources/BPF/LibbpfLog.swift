import CShim
import Foundation

/// libbpf prints through a va_list callback; the C shim collects those lines so an
/// error can carry them.
enum LibbpfLog {
    private static let installed: Void = {
        let verbose = ProcessInfo.processInfo.environment["ISOPROBE_LIBBPF_DEBUG"] != nil
        isoprobe_libbpf_log_install(verbose ? 1 : 0)
    }()

    static func install() { _ = installed }

    /// Everything libbpf printed since the last call.
    static func take() -> String {
        guard let raw = isoprobe_libbpf_log_take() else { return "" }
        defer { free(raw) }
        return String(cString: raw)
    }
}
