import BPF
import CShim
import Foundation
import IsoprobeCore

/// The kvm tracepoints on a VMM's cgroup: exits by reason with their handling time, and
/// port I/O. Optional: it needs the kvm module and tracefs; where kvm_exit stays silent
/// (nested PVM) the result says so instead of showing zeros as if they were measured.
public final class KVMExitProbe: RunObserver {
    let directory: String
    private let probe = TargetedObject()
    private var tracefs: Tracefs.MountToken?
    public private(set) var unavailable: String?

    public init(directory: String) {
        self.directory = directory
    }

    deinit { close() }

    public func targetReady(_ target: CgroupTarget) throws {
        try attach(target: target)
    }

    /// target nil: every task (for checks of the attach path). Without the kvm tracepoints
    /// (asked of tracefs) the run goes on and the result says so; an object that cannot be
    /// opened or loaded is an error naming it.
    public func attach(target: CgroupTarget?) throws {
        tracefs = Tracefs.ensureMounted()
        guard Tracefs.eventExists("kvm/kvm_exit") else {
            unavailable = "no kvm tracepoints (kvm module not loaded, or tracefs missing)"
            return
        }
        unavailable = try probe.open("kvm.bpf.o", in: directory, target: target, name: "kvm exit", tracepoints: [])
    }

    public func workloadFinished() { probe.detach() }

    public func collect() throws -> KVMExits {
        guard let object = probe.object else {
            return KVMExits(exits: 0, entries: 0, portIO: 0, reasons: [], note: unavailable)
        }
        let perCPU = try object.map(named: "stats").lookup(UInt32(0), as: isoprobe_kvm_stat.self) ?? []
        let exits = perCPU.reduce(0) { $0 + $1.exits }
        let entries = perCPU.reduce(0) { $0 + $1.entries }
        let pio = perCPU.reduce(0) { $0 + $1.pio }
        let map = try object.map(named: "exits")
        var reasons: [KVMExits.Reason] = []
        for key in try map.keys(as: UInt32.self) {
            guard let s = try map.lookup(key, as: isoprobe_kvm_exit_stat.self)?.first else { continue }
            let isa = key >> 16, code = key & 0xffff
            reasons.append(.init(isa: isa == 2 ? "svm" : "vmx", code: code, name: KVMExits.name(isa: isa, code: code),
                                 count: s.count, totalNs: s.total_ns,
                                 latencyHist: Log2Histogram(unit: "ns", slots: array(s.hist, of: UInt64.self))))
        }
        reasons.sort { $0.count > $1.count }
        let note = exits == 0
            ? "kvm:kvm_exit stayed silent during the run (\(pio) kvm_pio events); nested PVM handles exits on its own path"
            : nil
        return KVMExits(exits: exits, entries: entries, portIO: pio, reasons: reasons, note: note)
    }

    public func close() {
        probe.close()
        Tracefs.release(tracefs)
        tracefs = nil
    }
}

/// Several observers told of the same target, in order.
public final class ObserverGroup: RunObserver {
    let observers: [RunObserver]

    public init(_ observers: [RunObserver]) {
        self.observers = observers
    }

    public func targetReady(_ target: CgroupTarget) throws {
        for o in observers { try o.targetReady(target) }
    }

    public func workloadFinished() {
        for o in observers { o.workloadFinished() }
    }
}
