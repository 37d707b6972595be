import CBPF
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
        "\(call)(\(subject)) failed: \(Self.text(errno)) (errno \(errno))"
    }

    /// An errno's text; libbpf's own codes (4000 and up: "BPF object format invalid", ...)
    /// in libbpf's words, which `strerror` calls "Unknown error".
    public static func text(_ errno: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard libbpf_strerror(errno, &buffer, buffer.count) == 0 else { return Errno(rawValue: errno).description }
        return String(cString: buffer)
    }

    /// What went wrong, in words: libbpf's last complaint when it logged one (the subject,
    /// a file's path, called "the file" there since the caller names it), else the errno's text.
    public var reason: String {
        let complaint = log.split(separator: "\n").last { !$0.contains("loading object from") }
            .map { String($0.hasPrefix("libbpf: ") ? $0.dropFirst("libbpf: ".count) : $0[...]) }
        guard let complaint, !complaint.isEmpty else { return Self.text(errno) }
        return complaint.replacingOccurrences(of: "'\(subject)'", with: "the file")
            .replacingOccurrences(of: subject, with: "the file")
    }

    /// The tail of the verifier log, which names the instruction that was refused.
    public var verifierTail: String {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: true)
        return lines.suffix(20).joined(separator: "\n")
    }
}
