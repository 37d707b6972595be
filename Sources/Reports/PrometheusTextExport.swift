import Foundation
import IsoprobeCore

/// Prometheus text exposition format 0.0.4, what a Pushgateway accepts (MetricExposition's
/// families, as OpenMetrics has them): `# HELP` then `# TYPE` naming the samples' own name (a
/// counter's ends in `_total`), no `# UNIT`, no `# EOF`; HELP escapes only backslash and
/// newline, label values backslash, double quote and newline.
public enum PrometheusTextExport {
    /// The Content-Type of a push.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ document: ResultDocument) -> String {
        var out = ""
        for f in MetricExposition.families(document) {
            let name = f.kind == .counter ? f.name + "_total" : f.name
            out += "# HELP \(name) \(escapeHelp(f.help))\n"
            out += "# TYPE \(name) \(f.kind.rawValue)\n"
            out += f.samples.map { MetricExposition.line(f, $0) }.joined(separator: "\n") + "\n"
        }
        return out
    }

    public static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
