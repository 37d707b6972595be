import Foundation
import IsoprobeCore

/// The fleet matrix (`isoprobe history matrix`): hosts down, kernels across, each cell one
/// workload's ratio to native, with the sessions' range and count.
public enum MatrixReport {
    static func cell(_ c: FleetMatrix.Cell?) -> String {
        guard let c else { return "-" }
        if c.sessions == 1 { return String(format: "%.2fx (n=1)", c.ratio) }
        return String(format: "%.2fx [%.2f–%.2f] (n=%d)", c.ratio, c.low, c.high, c.sessions)
    }

    static func heading(_ m: FleetMatrix) -> String {
        "\(m.workload) in \(m.environment): ratio to native of \(m.metric.map(SummaryTable.label) ?? "its primary metric")"
    }

    static let legend = "each cell: the geometric mean over sessions of median(environment) / median(native) within a session; "
        + "[range] over sessions, n sessions; below 1 is faster than native"

    public static func text(_ m: FleetMatrix) -> String {
        guard !m.hosts.isEmpty else {
            return "no session has \(m.workload) both natively and in \(m.environment) among the selected runs\n"
        }
        var table = Table(["host"] + m.kernels)
        for host in m.hosts { table.add([host] + m.kernels.map { cell(m.cells[host]?[$0]) }) }
        return heading(m) + "\n" + table.render() + legend + "\n"
    }

    public static func html(_ m: FleetMatrix) -> String {
        let e = SVGPlot.escape
        var body = "<h1>\(e(heading(m)))</h1>\n"
        if m.hosts.isEmpty {
            body += "<p>No session has this workload both natively and in \(e(m.environment)).</p>\n"
        } else {
            body += "<table class=\"matrix\"><tr><th>host \\ kernel</th>" + m.kernels.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
            for host in m.hosts {
                body += "<tr><th>\(e(host))</th>"
                for kernel in m.kernels {
                    let c = m.cells[host]?[kernel]
                    // Colour by direction: slower red, faster green, the depth by how far from 1.
                    let style = c.map { c in
                        let depth = min(1, abs(log2(c.ratio)))
                        let hue = c.ratio > 1 ? "220,53,69" : "25,135,84"
                        return " style=\"background:rgba(\(hue),\(String(format: "%.2f", 0.1 + 0.5 * depth)))\""
                    } ?? ""
                    body += "<td\(style)>\(e(cell(c)))</td>"
                }
                body += "</tr>\n"
            }
            body += "</table>\n<p class=\"method\">\(e(legend)).</p>\n"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>isoprobe fleet matrix</title>
        <style>
        body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}
        table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
        .method{color:#555;font-size:13px}
        </style></head><body>
        \(body)</body></html>

        """
    }
}
