import BPF
import CBPF
import Foundation
import IsoprobeCore

/// Why probes did not attach, decided by asking the kernel rather than by the errno alone:
/// "unsupported" only when the kernel lacks a feature the probes need, asked explicitly (a
/// program type it does not load, a tracepoint they watch that it does not have). An object
/// that cannot be opened, a refusal for want of privilege, a verifier's rejection and
/// anything else are errors that name the object file.
enum ProbeFailure {
    /// The kernel lacks the feature: the run goes on without these probes.
    case unsupported(String)
    /// Anything else: the run stops with this error.
    case error(IsoprobeError, verifierLog: String?)

    static let capabilities = "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)"

    /// `name`: how messages call the probes ("the syscalls probes"); `file`: their object;
    /// `programs`: the programs that were to load; `tracepoints`: the ones they exist to watch.
    static func classify(_ error: BPFError, probes name: String, file: String, programs: [BPFProgram],
                         tracepoints: [String]) -> ProbeFailure {
        switch error.call {
        case "bpf_object__open_file":
            return .error(IsoprobeError(.missing, "the \(name) probes cannot be opened: \(file)",
                                        fix: "build them with `make probes`, or point --probes-dir at them", cause: error.reason),
                          verifierLog: nil)
        case "bpf_object__load":
            if error.isPrivilegeRefusal {
                return .error(IsoprobeError(.missing, "loading the \(name) probes was refused (\(ErrorWords.of(errno: error.errno))): it needs \(capabilities)",
                                            fix: "run as root, or grant those capabilities"), verifierLog: nil)
            }
            for program in programs {
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
            let targets = programs.map(\.attachPoint.target).filter { tracepoints.contains($0) }
            if KernelBTF.isPresent, let missing = targets.first(where: { !KernelBTF.hasTracepoint($0) }) {
                return .unsupported("this kernel has no \(missing) tracepoint")
            }
        default:
            break
        }
        return .error(IsoprobeError(.failed, "the \(name) probes (\(file)) did not attach", cause: error.description), verifierLog: nil)
    }

    /// The feature `program` needs that this kernel lacks, asked explicitly; nil when it has
    /// it or the question cannot be answered. A tp_btf program needs its tracepoint's BTF type
    /// (the loader only picks one whose type is there); other types are put to libbpf's
    /// feature probe, which speaks only where a program loads at all (a socket filter loads
    /// anywhere it is allowed). A program of no type (a section libbpf does not know) lacks
    /// nothing of the kernel's: its object is broken.
    static func lackingFeature(_ program: BPFProgram) -> String? {
        let tracepoint = program.attachPoint.target
        if program.type == BPF_PROG_TYPE_TRACING {
            return KernelBTF.hasTracepoint(tracepoint) ? nil : "this kernel's BTF has no \(tracepoint) tracepoint"
        }
        guard program.type != BPF_PROG_TYPE_UNSPEC,
              KernelSupport.loadsPrograms(of: BPF_PROG_TYPE_SOCKET_FILTER) == true,
              KernelSupport.loadsPrograms(of: program.type) == false else { return nil }
        return "this kernel does not load BPF \(KernelSupport.name(of: program.type)) programs (\(program.name))"
    }

    /// The outcome for a caller that goes on without unsupported probes: their reason, or
    /// the error thrown (with the verifier's log on standard error first).
    static func reasonOrThrow(_ failure: ProbeFailure) throws -> String {
        switch failure {
        case .unsupported(let why):
            return why
        case .error(let error, let verifierLog):
            if let verifierLog { FileHandle.standardError.write(Data((verifierLog + "\n").utf8)) }
            throw error
        }
    }
}
