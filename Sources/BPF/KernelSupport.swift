import CBPF
import Foundation

/// What the running kernel can load, asked explicitly (libbpf's feature probes load a
/// minimal program of the type), so a failure is called "unsupported" only when the
/// kernel really lacks the feature.
public enum KernelSupport {
    /// Whether the kernel loads programs of `type`; nil when the probe itself could not
    /// tell (it was refused, e.g. for want of privilege).
    public static func loadsPrograms(of type: bpf_prog_type) -> Bool? {
        let rc = libbpf_probe_bpf_prog_type(type, nil)
        return rc == 1 ? true : rc == 0 ? false : nil
    }

    /// The program type's name as bpftool writes it ("tracing", "raw_tracepoint").
    public static func name(of type: bpf_prog_type) -> String {
        libbpf_bpf_prog_type_str(type).map { String(cString: $0) } ?? "type \(type.rawValue)"
    }
}

extension BPFProgram {
    /// The program's type, as its section made it.
    public var type: bpf_prog_type { bpf_program__type(pointer) }
}

extension BPFError {
    /// The kernel's verifier wrote a log for this failure: it looked at the program and
    /// refused it (libbpf frames that log between these markers).
    public var isVerifierRejection: Bool { log.contains("BEGIN PROG LOAD LOG") }

    /// Refused for want of privilege: EPERM (or EACCES) without a verifier's reasons.
    public var isPrivilegeRefusal: Bool { (errno == EPERM || errno == EACCES) && !isVerifierRejection }
}
