import IsoprobeCore

/// The path each environment's network runs took, one line per environment, as the text
/// and Markdown reports name it (veth or tap, bridge, vhost, MTU, offloads).
public enum NetworkNote {
    enum TapWords {
        /// Without vhost-net the card's queues are served by QEMU's own threads, so the VMM's
        /// CPU figures hold all of the path's host work.
        static let noVhost = "no vhost-net: /dev/vhost-net is absent or unused, QEMU's own threads serve the card's queues and the VMM CPU figures include that work"
    }

    public static func lines(_ runs: [RunResult]) -> [String] {
        var seen: [String] = []
        var out: [String] = []
        for run in runs {
            guard let path = run.network?.path, !seen.contains(run.environment) else { continue }
            seen.append(run.environment)
            var line = "\(run.environment) reaches the peer by \(path.summary)"
            if path.vhost == false {
                line += " (\(TapWords.noVhost))"
            }
            out.append(line)
        }
        return out
    }

    /// A run's network figures in one line: what the peer served, retransmits, drops, softirq
    /// time and, for a guest, the VMM's CPU per transaction and per megabyte moved.
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
        var vmm: [String] = []
        if let t = n.vmmCpuPerTransactionNs { vmm.append("\(Format.duration(ns: t)) per transaction") }
        if let m = n.vmmCpuPerMegabyteNs { vmm.append("\(Format.duration(ns: m)) per MB moved") }
        if !vmm.isEmpty {
            let vhost = n.path.vhost == true ? "vhost-net's kernel threads not included" : TapWords.noVhost
            parts.append("VMM CPU " + vmm.joined(separator: ", ") + " (\(vhost))")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
