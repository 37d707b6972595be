import BPF
import Foundation
import Harness
import IsoprobeCore
import Probes

/// Loads and attaches every program of every probe family on this kernel, system-wide,
/// and detaches at once: which would attach, through what, and why not.
public enum ProbeCheck {
    public struct ProgramResult: Sendable {
        public var family: ProbeFamily
        public var program: String
        public var section: String
        public var selected: Bool
        public var attached: Bool
        public var reason: String?
    }

    public static func run(resources: Resources) -> [ProgramResult] {
        let token = Tracefs.ensureMounted()
        defer { Tracefs.release(token) }
        var out: [ProgramResult] = []
        for family in ProbeFamily.allCases {
            out += check(family, directory: resources.probesDirectory)
        }
        return out
    }

    static func check(_ family: ProbeFamily, directory: String) -> [ProgramResult] {
        let object: BPFObject
        do {
            object = try ProbeLoader.open(family, directory: directory, target: nil)
        } catch {
            return [ProgramResult(family: family, program: "-", section: family.objectFile, selected: true,
                                  attached: false, reason: "\(error)")]
        }
        defer { object.close() }
        let programs = object.programs
        do {
            try object.load()
        } catch let error as BPFError {
            return programs.map {
                ProgramResult(family: family, program: $0.name, section: $0.section, selected: $0.autoload,
                              attached: false, reason: $0.autoload ? "load refused: \(error)" : fallbackReason($0))
            }
        } catch {
            return []
        }
        return programs.map { program in
            guard program.autoload else {
                return ProgramResult(family: family, program: program.name, section: program.section,
                                     selected: false, attached: false, reason: fallbackReason(program))
            }
            do {
                let link = try program.attach()
                link.destroy()
                return ProgramResult(family: family, program: program.name, section: program.section,
                                     selected: true, attached: true, reason: nil)
            } catch {
                return ProgramResult(family: family, program: program.name, section: program.section,
                                     selected: true, attached: false, reason: "\(error)")
            }
        }
    }

    static func fallbackReason(_ program: BPFProgram) -> String {
        let (kind, tp) = program.attachPoint
        switch kind {
        case "raw_tp": return "not needed: tp_btf/\(tp) is available"
        case "tp_btf" where !KernelBTF.hasTracepoint(tp): return "kernel BTF has no btf_trace_\(tp)"
        case "tp_btf" where program.name.hasSuffix("_fast"): return "needs bpf_map_lookup_percpu_elem and bpf_loop (Linux 5.19+)"
        case "tp_btf": return "not needed: a faster variant for \(tp) is available"
        default: return "not selected"
        }
    }
}
