import Foundation

extension PerformanceIsolationResult {
    /// A small table: one row per neighbour, the victim alone first.
    public var text: String {
        var lines = ["performance isolation in \(environment)\(accelerator.map { " (\($0))" } ?? ""): victim \(victim), \(repetitions) run(s) each"]
        let header = ["neighbour", "victim wall", "slowdown", "range", "self-timed", "neighbour exit", "oom", "pids refused", "peak rss / limit", "held"]
        var rows = [["alone", Self.ms(alone.medianWallNs), "1.00", "", "", "", "", "", "", ""]]
        for n in neighbours {
            let c = n.containment
            let mem = "\(c.peakRssBytes.map { "\($0 >> 20) MiB" } ?? "-") / \(c.memoryLimitBytes.map { "\($0 >> 20) MiB" } ?? "-")"
            rows.append([n.neighbour.rawValue, Self.ms(n.victim.medianWallNs), String(format: "%.2f", n.slowdown),
                         String(format: "%.2f-%.2f", n.slowdownLow, n.slowdownHigh),
                         n.selfTimedSlowdown.map { String(format: "%.2f", $0) } ?? "-",
                         c.neighbourExit + (c.stoppedAfterVictim ? " (stopped)" : "") + (c.overlapped ? "" : " (ended early)"),
                         String(c.oomKills), String(c.pidsLimitHits), mem, c.held ? "yes" : "NO"])
        }
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        for row in [header] + rows {
            lines.append(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    static func ms(_ ns: UInt64) -> String { String(format: "%.1f ms", Double(ns) / 1e6) }
}
