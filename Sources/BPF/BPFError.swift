import Foundation
import SystemPackage

/// A failed libbpf or bpf(2) call: which call, on what, the errno, and libbpf's own
/// log (for a rejected load this holds the verifier's explanation).
public struct BPFError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let subject: String
    public let errno: Int32
    public let log: String

    public init(call: String, subject: String, errno: Int32, log: String = "") {
        self.call = call
        self.subject = subject
        self.errno = errno
        self.log = log
    }

    public var description: String {
        "\(call)(\(subject)) failed: \(Errno(rawValue: errno).description) (errno \(errno))"
    }

    /// The tail of the verifier log, which names the instruction that was refused.
    public var verifierTail: String {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: true)
        return lines.suffix(20).joined(separator: "\n")
    }
}
