import BPF
import CBPF
import Foundation
import IsoprobeCore

/// Why a family's probes did not attach, decided by asking the kernel rather than by the
/// errno alone: "unsupported" only when the kernel lacks the feature (a program type it
/// does not load, a tracepoint it does not have); a refusal for want of privilege names
/// the capabilities, and a verifier's rejection carries the verifier's last lines.
enum ProbeFailure {
    /// The kernel lacks the feature: the run goes on without this family.
    case unsupported(String)
    /// Anything else: the run stops with this error.
    case error(IsoprobeError, verifierLog: String?)

    static let capabilities = "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)"

    static func classify(_ error: BPFError, family: ProbeFamily, probe: ProbeObject?) -> ProbeFailure {
        let name = family.rawValue
        switch error.call {
        case "bpf_object__open_file":
            return .error(IsoprobeError(.missing, "the \(name) probes cannot be opened: \(error)",
                                        fix: "build them with `make probes`, or point --probes-dir at them"), verifierLog: nil)
        case "bpf_object__load":
            if error.isPrivilegeRefusal {
                return .error(IsoprobeError(.missing, "loading the \(name) probes was refused (\(ErrorWords.of(errno: error.errno))): it needs \(capabilities)",
                                            fix: "run as root, or grant those capabilities"), verifierLog: nil)
            }
            for program in probe?.object.programs.filter(\.autoload) ?? [] {
                if let missing = lackingFeature(program) { return .unsupported(missing) }
            }
            if error.isVerifierRejection {
                return .error(IsoprobeError(.failed, "the kernel's verifier rejected the \(name) probes (\(error.subject))",
                                            cause: ErrorWords.of(errno: error.errno)), verifierLog: error.verifierTail)
            }
        case "bpf_program__attach":
            if error.isPrivilegeRefusal {
                return .error(IsoprobeError(.missing, "attaching the \(name) probes was refused (\(ErrorWords.of(errno: error.errno))): it needs \(capabilities)",
                                            fix: "run as root, or grant those capabilities"), verifierLog: nil)
            }
            let tracepoints = probe?.object.programs.filter(\.autoload).map(\.attachPoint.target) ?? []
            if KernelBTF.isPresent, let missing = tracepoints.first(where: { !KernelBTF.hasTracepoint($0) }) {
                return .unsupported("this kernel has no \(missing) tracepoint")
            }
        default:
            break
        }
        return .error(IsoprobeError(.failed, "the \(name) probes did not attach", cause: error.description), verifierLog: nil)
    }

    /// The feature `program` needs that this kernel lacks, asked explicitly; nil when it has
    /// it or the question cannot be answered. A tp_btf program needs its tracepoint's BTF type
    /// (the loader only picks one whose type is there); other types are put to libbpf's
    /// feature probe, which speaks only where a program loads at all (a socket filter loads
    /// anywhere it is allowed).
    static func lackingFeature(_ program: BPFProgram) -> String? {
        let tracepoint = program.attachPoint.target
        if program.type == BPF_PROG_TYPE_TRACING {
            return KernelBTF.hasTracepoint(tracepoint) ? nil : "this kernel's BTF has no \(tracepoint) tracepoint"
        }
        guard KernelSupport.loadsPrograms(of: BPF_PROG_TYPE_SOCKET_FILTER) == true,
              KernelSupport.loadsPrograms(of: program.type) == false else { return nil }
        return "this kernel does not load BPF \(KernelSupport.name(of: program.type)) programs (\(program.name))"
    }
}
