import IsoprobeCore

/// An error the agent could not get past, as the host should show it. Carries the parts of an
/// `IsoprobeError` so the host can rebuild one and exit with the same code as a native run
/// (a guest kernel without BTF is `missing`, exit 3, like on the host).
public struct AgentFailure: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var message: String
    /// `usage`, `missing`, `failed` or `interrupted`: `IsoprobeError.Kind`; nil for other errors.
    public var kind: String?
    public var fix: String?
    public var cause: String?

    public init(message: String, kind: String? = nil, fix: String? = nil, cause: String? = nil) {
        self.message = message
        self.kind = kind
        self.fix = fix
        self.cause = cause
    }

    public init(_ error: IsoprobeError) {
        let kind: String
        switch error.kind {
        case .usage: kind = "usage"
        case .missing: kind = "missing"
        case .failed: kind = "failed"
        case .interrupted: kind = "interrupted"
        }
        self.init(message: error.message, kind: kind, fix: error.fix, cause: error.cause)
    }

    /// Any error: an `IsoprobeError` keeps its parts, others become their description.
    public init(_ error: any Error) {
        if let e = error as? IsoprobeError { self.init(e) } else { self.init(message: "\(error)") }
    }

    /// The failure as the host reports it; unknown kinds count as `failed`.
    public var isoprobeError: IsoprobeError {
        let k: IsoprobeError.Kind
        switch kind {
        case "usage": k = .usage
        case "missing": k = .missing
        case "interrupted": k = .interrupted
        default: k = .failed
        }
        return IsoprobeError(k, message, fix: fix, cause: cause)
    }

    public var description: String { isoprobeError.description }
}
