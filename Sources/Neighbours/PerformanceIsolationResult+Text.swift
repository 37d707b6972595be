import Foundation
import IsoprobeCore

extension PerformanceIsolationResult {
    /// A small table: one row per neighbour, the victim alone first. A network victim adds
    /// its headline figure and that figure's ratio; a network neighbour what it moved.
    public var text: String {
        var lines = ["performance isolation in \(environment)\(accelerator.map { " (\($0))" } ?? ""): victim \(victim), \(repetitions) run(s) each"]
        let figure = neighbours.lazy.compactMap(\.victimFigure).first
        let moved = neighbours.contains { $0.neighbourBytes != nil }
        var header = ["neighbour", "victim wall", "slowdown", "range", "self-timed"]
        if let figure {
            let label = MetricDefinition.named(figure.metric).map { $0.summaryLabel ?? $0.label } ?? figure.metric
            header += ["victim \(label)", "ratio", "range"]
        }
        if moved { header.append("neighbour moved") }
        header += ["neighbour exit", "oom", "pids refused", "peak rss / limit", "held"]
        var alone = [Self.ms(self.alone.medianWallNs), "1.00", "", ""]
        if let figure { alone += [Self.figure(figure.medianAlone, figure.metric), "1.00", ""] }
        if moved { alone.append("") }
        var rows = [["alone"] + alone + ["", "", "", "", ""]]
        for n in neighbours {
            let c = n.containment
            let mem = "\(c.peakRssBytes.map { "\($0 >> 20) MiB" } ?? "-") / \(c.memoryLimitBytes.map { "\($0 >> 20) MiB" } ?? "-")"
            var row = [n.neighbour.rawValue, Self.ms(n.victim.medianWallNs), String(format: "%.2f", n.slowdown),
                       String(format: "%.2f-%.2f", n.slowdownLow, n.slowdownHigh),
                       n.selfTimedSlowdown.map { String(format: "%.2f", $0) } ?? "-"]
            if figure != nil {
                row += n.victimFigure.map { [Self.figure($0.medianBeside, $0.metric), String(format: "%.2f", $0.ratio),
                                             String(format: "%.2f-%.2f", $0.ratioLow, $0.ratioHigh)] } ?? ["-", "-", "-"]
            }
            if moved { row.append(n.neighbourBytes.map { String(format: "%.1f MB", Double($0) / 1e6) } ?? "") }
            row += [c.neighbourExit + (c.stoppedAfterVictim ? " (stopped)" : "") + (c.overlapped ? "" : " (ended early)"),
                    String(c.oomKills), String(c.pidsLimitHits), mem, c.held ? "yes" : "NO"]
            rows.append(row)
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

    /// A latency in µs, a throughput in Mbit/s.
    static func figure(_ value: Double, _ metric: String) -> String {
        metric.hasSuffix("_bps") ? String(format: "%.0f Mbit/s", value / 1e6) : String(format: "%.1f µs", value / 1e3)
    }
}
