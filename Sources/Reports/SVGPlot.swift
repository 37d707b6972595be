import Foundation
import IsoprobeCore

/// The two plots of the HTML report, drawn as inline SVG (no scripts, no fonts fetched).
public enum SVGPlot {
    /// Fixed per environment (by its place among the kinds), so every plot and report reads
    /// the same way; a label that is not a kind gets the last colour.
    public static func colour(_ environment: String) -> String {
        let palette = ["#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd"]
        let place = EnvironmentKind(rawValue: environment).flatMap { EnvironmentKind.allCases.firstIndex(of: $0) }
        return palette[min(place ?? palette.count - 1, palette.count - 1)]
    }

    public struct Series {
        public var environment: String
        public var histogram: Log2Histogram
        public init(environment: String, histogram: Log2Histogram) {
            self.environment = environment
            self.histogram = histogram
        }
    }

    /// Log2 latency buckets on x, counts on y, one line per environment, with a legend.
    public static func histograms(title: String, series: [Series], width: Int = 640, height: Int = 260) -> String {
        let spans = series.compactMap(\.histogram.span)
        guard let lo = spans.map(\.lowerBound).min(), let hi = spans.map(\.upperBound).max() else { return "" }
        let left = 60.0, right = 20.0, top = 30.0, bottom = 50.0
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        let slots = max(hi - lo, 1)
        let maxCount = Double(series.map { s in (lo...hi).map { s.histogram.slots[$0] }.max() ?? 0 }.max() ?? 1)
        func x(_ slot: Int) -> Double { left + w * Double(slot - lo) / Double(slots) }
        func y(_ count: UInt64) -> Double { top + h - h * Double(count) / max(maxCount, 1) }
        var svg = header(width, height, title: title)
        svg += axes(left: left, top: top, w: w, h: h)
        for slot in lo...hi where (slot - lo) % max(1, slots / 8) == 0 || slot == hi {
            let (l, _) = Log2Histogram.bounds(ofSlot: slot)
            svg += text(x(slot), top + h + 16, Format.duration(ns: Double(l)), anchor: "middle", size: 10)
        }
        svg += text(left + w / 2, Double(height) - 8, "latency (log2 buckets, lower bound)", anchor: "middle", size: 11)
        svg += text(12, top + h / 2, "count", anchor: "middle", size: 11, rotate: true)
        svg += text(left - 6, top + 4, String(Int(maxCount)), anchor: "end", size: 10)
        for (i, s) in series.enumerated() {
            let points = (lo...hi).map { String(format: "%.1f,%.1f", x($0), y(s.histogram.slots[$0])) }.joined(separator: " ")
            let c = colour(s.environment)
            svg += "<polyline class=\"series\" data-environment=\"\(escape(s.environment))\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"3\" points=\"\(points)\"/>\n"
            for slot in lo...hi where s.histogram.slots[slot] > 0 {
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%@\"/>\n", x(slot), y(s.histogram.slots[slot]), c)
            }
            svg += legend(i, s.environment, x: left + w - 130, y: top + 6)
        }
        return svg + "</svg>\n"
    }

    public struct Interval {
        /// The workload whose group the row sits in.
        public var workload: String
        public var label: String
        public var environment: String
        public var ratio: RatioSummary
        public init(workload: String, label: String, environment: String, ratio: RatioSummary) {
            self.workload = workload
            self.label = label
            self.environment = environment
            self.ratio = ratio
        }
    }

    /// Ratios to native with their bootstrap intervals as error bars, on a log axis (equal
    /// factors, equal distances: 1.05x stays readable beside 20x), the rows grouped under
    /// their workload, each with its value written beside it; a dashed line at 1.
    public static func ratios(title: String, rows: [Interval], width: Int = 960) -> String {
        guard !rows.isEmpty else { return "" }
        let rowHeight = 26.0, headingHeight = 22.0, left = 260.0, right = 90.0, top = 30.0, bottom = 40.0
        let groups = rows.map(\.workload).uniqued().map { w in (w, rows.filter { $0.workload == w }) }
        let plotH = headingHeight * Double(groups.count) + rowHeight * Double(rows.count)
        let height = Int(top + bottom + plotH)
        let w = Double(width) - left - right
        let axis = LogAxis(rows.flatMap { [$0.ratio.ciLow, $0.ratio.ratio, $0.ratio.ciHigh] }, left: left, width: w)
        var svg = header(width, height, title: title)
        // Every other workload on a shaded band, so a group reads as one.
        var y = top
        for (i, group) in groups.enumerated() {
            let h = headingHeight + rowHeight * Double(group.1.count)
            if i % 2 == 1 {
                svg += String(format: "<rect x=\"0\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#f3f3f3\"/>\n", y, width, h)
            }
            y += h
        }
        svg += axes(left: left, top: top, w: w, h: plotH)
        for tick in axis.ticks {
            svg += String(format: "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                          axis.x(tick), top, axis.x(tick), top + plotH)
            svg += text(axis.x(tick), top + plotH + 16, factor(tick), anchor: "middle", size: 10)
        }
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n",
                      axis.x(1), top, axis.x(1), top + plotH)
        svg += text(left + w / 2, Double(height) - 6, "ratio to native, log scale (95% bootstrap interval)", anchor: "middle", size: 11)
        y = top
        for (workload, members) in groups {
            svg += text(8, y + 15, workload, anchor: "start", size: 12, bold: true)
            y += headingHeight
            for row in members {
                let cy = y + rowHeight / 2, c = colour(row.environment), r = row.ratio
                svg += text(left - 8, cy + 4, row.label, anchor: "end", size: 11)
                svg += String(format: "<line class=\"interval\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"3\"/>\n",
                              axis.x(r.ciLow), cy, axis.x(r.ciHigh), cy, c)
                for v in [r.ciLow, r.ciHigh] {
                    svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"3\"/>\n",
                                  axis.x(v), cy - 6, axis.x(v), cy + 6, c)
                }
                svg += String(format: "<rect class=\"ratio\" data-ratio=\"%g\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%@\"/>\n",
                              r.ratio, axis.x(r.ratio) - 5, cy - 5, c)
                svg += text(axis.x(r.ciHigh) + 8, cy + 4, String(format: "%.2fx", r.ratio) + (r.significant ? " *" : ""),
                            anchor: "start", size: 11)
                y += rowHeight
            }
        }
        return svg + "</svg>\n"
    }

    /// A log-scale axis over ratios from `left`, `width` wide: always holding 1 and 1 ± 10%,
    /// a little room at either end; values at or below 0 are drawn at the low end.
    public struct LogAxis {
        public var low: Double
        public var high: Double
        public var left: Double
        public var width: Double

        public init(_ values: [Double], left: Double, width: Double) {
            let positive = values.filter { $0 > 0 && $0.isFinite }
            let lo = min(positive.min() ?? 1, 1 / 1.1), hi = max(positive.max() ?? 1, 1.1)
            let pad = pow(hi / lo, 0.04)
            (low, high, self.left, self.width) = (lo / pad, hi * pad, left, width)
        }

        public func x(_ v: Double) -> Double {
            left + width * log(min(max(v, low), high) / low) / log(high / low)
        }

        /// Round factors, the roundest first, each at least 40 pixels from the others.
        public var ticks: [Double] {
            let candidates: [Double] = [1, 10, 100, 1000, 0.1, 0.01, 2, 5, 20, 50, 200, 500, 0.5, 0.2, 0.05, 1.5, 3, 1.2, 0.8,
                                        1.1, 0.9, 1.05, 0.95, 1.3, 0.7, 4, 7, 15, 30, 1.02, 0.98, 1.01, 0.99]
            var out: [Double] = []
            for t in candidates where t >= low && t <= high && out.allSatisfy({ abs(x($0) - x(t)) >= 40 }) { out.append(t) }
            return out.sorted()
        }
    }

    /// "1.05x", "1.5x", "20x".
    static func factor(_ v: Double) -> String {
        var s = String(format: v >= 10 ? "%.0f" : "%.2f", v)
        while s.contains("."), s.last == "0" || s.last == "." { s.removeLast() }
        return s + "x"
    }

    static func header(_ width: Int, _ height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(title))\">\n"
            + "<title>\(escape(title))</title>\n" + text(Double(width) / 2, 18, title, anchor: "middle", size: 13, bold: true)
    }

    static func axes(left: Double, top: Double, w: Double, h: Double) -> String {
        String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n", left, top, w, h)
    }

    static func legend(_ i: Int, _ environment: String, x: Double, y: Double) -> String {
        let cy = y + Double(i) * 16
        return String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%@\"/>\n", x, cy, colour(environment))
            + text(x + 20, cy + 9, environment, anchor: "start", size: 11)
    }

    static func text(_ x: Double, _ y: Double, _ s: String, anchor: String, size: Int, bold: Bool = false, rotate: Bool = false) -> String {
        let transform = rotate ? String(format: " transform=\"rotate(-90 %.1f %.1f)\"", x, y) : ""
        return String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%@\" font-size=\"%d\"%@%@>", x, y, anchor, size,
                      bold ? " font-weight=\"bold\"" : "", transform) + escape(s) + "</text>\n"
    }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
