/// The one error type users see: what went wrong, naming the field or missing piece,
/// and how to fix it. Printed as a single line; the exit code follows the kind.
public struct IsoprobeError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        case usage          // bad flags, bad workload spec, bad suite
        case missing        // a tool, file, kernel feature or privilege is absent
        case failed         // something isoprobe tried did not work
        case interrupted    // Ctrl-C or a signal
    }

    public var kind: Kind
    public var message: String
    public var fix: String?
    public var cause: String?

    public init(_ kind: Kind, _ message: String, fix: String? = nil, cause: String? = nil) {
        self.kind = kind
        self.message = message
        self.fix = fix
        self.cause = cause
    }

    /// One line whatever the message quotes (`ErrorWords.oneLine`).
    public var description: String {
        var s = message
        if let cause { s += ": \(cause)" }
        if let fix { s += " (\(fix))" }
        return ErrorWords.oneLine(s)
    }

    public var exitStatus: ExitStatus {
        switch kind {
        case .usage: return .usage
        case .missing: return .missing
        case .failed: return .failed
        case .interrupted: return .interrupted
        }
    }

    public var exitCode: Int32 { exitStatus.rawValue }
}
