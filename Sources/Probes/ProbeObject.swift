import BPF
import Foundation
import IsoprobeCore

/// Opens a family's object and prepares it for load, for callers outside a session.
public enum ProbeLoader {
    public static func open(_ family: ProbeFamily, directory: String, target: CgroupTarget?) throws -> BPFObject {
        try ProbeObject(family: family, directory: directory, target: target).object
    }
}

/// One family's object: opened, filtered to a target, each tracepoint bound through
/// tp_btf where the kernel has its BTF type and through the raw_tp twin otherwise,
/// loaded and attached. Owns its links and object; `close()` releases both.
final class ProbeObject {
    let family: ProbeFamily
    let object: BPFObject
    private(set) var links: [BPFLink] = []
    private(set) var modes: Set<String> = []
    private(set) var notes: [String] = []

    /// Opens and prepares (but does not load) the family's object.
    init(family: ProbeFamily, directory: String, target: CgroupTarget?, constants: [String: UInt64] = [:]) throws {
        self.family = family
        object = try BPFObject(path: (directory as NSString).appendingPathComponent(family.objectFile))
        do {
            try object.setConstant("target_cgroup_id", target?.id ?? 0)
            try object.setConstant("target_level", UInt32(target?.level ?? 0))
            for (name, value) in constants { try object.setConstant(name, value) }
            try chooseAttachModes()
        } catch {
            object.close()
            throw error
        }
    }

    /// tp_btf when the kernel has `btf_trace_<tp>`, else the raw_tp twin; classic
    /// tracepoints only when tracefs is there to resolve their ids.
    private func chooseAttachModes() throws {
        let programs = object.programs
        for program in programs {
            let (kind, tp) = program.attachPoint
            switch kind {
            case "tp_btf":
                program.autoload = KernelBTF.hasTracepoint(tp)
            case "raw_tp":
                let twinUsable = programs.contains { $0.attachPoint == ("tp_btf", tp) } && KernelBTF.hasTracepoint(tp)
                program.autoload = !twinUsable
            case "tracepoint":
                let ok = Tracefs.eventExists(tp)
                program.autoload = ok
                if !ok { notes.append("\(tp): no such tracepoint in tracefs") }
            default:
                break
            }
            if program.autoload { modes.insert(kind) }
        }
    }

    func load() throws {
        try object.load()
    }

    func attach() throws {
        for program in object.programs where program.autoload {
            links.append(try program.attach())
        }
    }

    /// Detaches every program: counting stops here, maps stay readable.
    func detach() {
        for link in links { link.destroy() }
        links.removeAll()
    }

    func close() {
        detach()
        object.close()
    }

    var modeDescription: String { modes.sorted().joined(separator: "+") }
}
