import IsoprobeCore

/// The path each environment's network runs took, one line per environment, as the text
/// and Markdown reports name it (veth or tap, bridge, vhost, MTU, offloads).
public enum NetworkNote {
    public static func lines(_ runs: [RunResult]) -> [String] {
        var seen: [String] = []
        var out: [String] = []
        for run in runs {
            guard let path = run.network?.path, !seen.contains(run.environment) else { continue }
            seen.append(run.environment)
            out.append("\(run.environment) reaches the peer by \(path.summary)")
        }
        return out
    }

    /// A run's network figures in one line: what the peer served, retransmits, drops, softirq
    /// time and, for a guest, the VMM's CPU per transaction.
    public static func figures(_ run: RunResult) -> String? {
        guard let n = run.network else { return nil }
        var parts: [String] = []
        if let p = n.peer {
            parts.append("the peer served \(p.transactions) transactions, \(p.datagrams) datagrams, "
                         + "\(Format.bytes(p.bytesIn)) in and \(Format.bytes(p.bytesOut)) out over \(p.connections) connections")
        }
        if let probes = n.probes {
            if let note = probes.note { parts.append("network probe: \(note)") } else {
                let drops = probes.drops.map { "\($0.reason) \($0.count)" }.joined(separator: ", ")
                let rx = probes.softirq.reduce(0) { $0 + $1.netRxNs }, tx = probes.softirq.reduce(0) { $0 + $1.netTxNs }
                parts.append("\(probes.retransmits) retransmits, drops: \(drops.isEmpty ? "none" : drops), "
                             + "NET_RX \(Format.duration(ns: Double(rx))) and NET_TX \(Format.duration(ns: Double(tx))) of softirq (all CPUs)")
            }
        }
        if let vmm = n.vmmCpuPerTransactionNs { parts.append("VMM CPU \(Format.duration(ns: vmm)) per transaction") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
