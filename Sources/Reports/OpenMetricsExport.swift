import Foundation
import IsoprobeCore

/// OpenMetrics text exposition (MetricExposition's families): a counter's family is named
/// without `_total`, which its samples carry; `# UNIT` for seconds and bytes; ends with `# EOF`.
public enum OpenMetricsExport {
    public static func render(_ document: ResultDocument) -> String {
        var out = ""
        for f in MetricExposition.families(document) {
            out += "# TYPE \(f.name) \(f.kind.rawValue)\n"
            if let unit = f.unit { out += "# UNIT \(f.name) \(unit)\n" }
            out += "# HELP \(f.name) \(escape(f.help))\n"
            out += f.samples.map { MetricExposition.line(f, $0) }.joined(separator: "\n") + "\n"
        }
        return out + "# EOF\n"
    }

    /// Label values and HELP text: backslash, double quote and newline escaped.
    public static func escape(_ s: String) -> String { MetricExposition.escapeLabel(s) }
}
