import BPF
import CShim
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
            let abi = (try? object.constant("isoprobe_abi", as: UInt32.self)) ?? 0
            guard abi == UInt32(ISOPROBE_PROBES_ABI) else {
                throw IsoprobeError(.missing, "\(object.path) was built for another isoprobe (probe ABI \(abi), this binary needs \(ISOPROBE_PROBES_ABI))",
                                    fix: "rebuild the probes with `make probes`, or point --probes-dir at the ones built with this binary")
            }
            try Self.checkPrograms(object, family: family)
            try object.setConstant("target_cgroup_id", target?.id ?? 0)
            try object.setConstant("target_level", UInt32(target?.level ?? 0))
            if family == .syscalls { try object.setConstant("nr_cpus", UInt32(BPFMap.possibleCPUs)) }
            if family == .sched { try object.setConstant("leader_pid", UInt32(target?.leaderPid ?? 0)) }
            for (name, value) in constants { try object.setConstant(name, value) }
            try chooseAttachModes()
        } catch {
            object.close()
            throw error
        }
    }

    /// Every tracepoint of the family has a program (tp_btf or raw_tp) in the object: one
    /// that opens but lacks them (sections renamed, another object under this name) would
    /// otherwise attach nothing and count nothing without a word.
    static func checkPrograms(_ object: BPFObject, family: ProbeFamily) throws {
        let watched = Set(object.programs.filter { ["tp_btf", "raw_tp"].contains($0.attachPoint.kind) }.map(\.attachPoint.target))
        if let missing = family.tracepoints.first(where: { !watched.contains($0) }) {
            throw IsoprobeError(.missing, "\(object.path) is not isoprobe's \(family.rawValue) probe object: it has no program for the \(missing) tracepoint",
                                fix: "rebuild the probes with `make probes`, or point --probes-dir at the ones built with this binary")
        }
    }

    /// Per tracepoint, the first variant this kernel supports: a `_fast` tp_btf program
    /// (per-CPU slots, 5.19+), another tp_btf program (BTF has `btf_trace_<tp>`), then
    /// the raw_tp twin.
    private func chooseAttachModes() throws {
        var byTracepoint: [String: [BPFProgram]] = [:]
        for program in object.programs {
            byTracepoint[program.attachPoint.target, default: []].append(program)
        }
        for (tp, variants) in byTracepoint {
            let ranked = variants.sorted { Self.rank($0) < Self.rank($1) }
            let chosen = ranked.first { Self.usable($0, tracepoint: tp) }
            for program in variants { program.autoload = program.name == chosen?.name }
            if let chosen {
                modes.insert(chosen.attachPoint.kind)
            } else {
                notes.append("\(tp): no usable attach point")
            }
        }
    }

    static func rank(_ p: BPFProgram) -> Int {
        switch (p.attachPoint.kind, p.name.hasSuffix("_fast")) {
        case ("tp_btf", true): return 0
        case ("tp_btf", false): return 1
        default: return 2
        }
    }

    /// `ISOPROBE_ATTACH=tp_btf` skips the `_fast` variants and `ISOPROBE_ATTACH=raw_tp`
    /// uses only raw_tp, so every variant can be exercised on a kernel that has them all.
    static let forced = ProcessInfo.processInfo.environment["ISOPROBE_ATTACH"]

    static func usable(_ p: BPFProgram, tracepoint: String) -> Bool {
        if forced == "raw_tp" && p.attachPoint.kind != "raw_tp" { return false }
        if forced == "tp_btf" && p.name.hasSuffix("_fast") { return false }
        switch p.attachPoint.kind {
        case "tp_btf": return KernelBTF.hasTracepoint(tracepoint) && (!p.name.hasSuffix("_fast") || KernelFeatures.hasPerCPUSearch)
        case "raw_tp": return true
        default: return false
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
