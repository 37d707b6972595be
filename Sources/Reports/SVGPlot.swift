import Foundation
import IsoprobeCore

/// The two plots of the HTML report, drawn as inline SVG (no scripts, no fonts fetched).
public enum SVGPlot {
    /// Fixed per environment (by its place among the kinds), so every plot and report reads
    /// the same way; a label that is not a kind gets the last colour.
    public static func colour(_ environment: String) -> String {
        let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"]
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
        public var label: String
        public var environment: String
        public var ratio: RatioSummary
        public init(label: String, environment: String, ratio: RatioSummary) {
            self.label = label
            self.environment = environment
            self.ratio = ratio
        }
    }

    /// Ratios to native with their bootstrap intervals as error bars; a line at 1.
    public static func ratios(title: String, rows: [Interval], width: Int = 960) -> String {
        guard !rows.isEmpty else { return "" }
        let rowHeight = 26.0, left = 440.0, right = 30.0, top = 30.0, bottom = 40.0
        let height = Int(top + bottom + rowHeight * Double(rows.count))
        let w = Double(width) - left - right
        let lo = min(rows.map(\.ratio.ciLow).min()!, 0.9), hi = max(rows.map(\.ratio.ciHigh).max()!, 1.1)
        let pad = (hi - lo) * 0.05
        let x0 = max(0, lo - pad), x1 = hi + pad
        func x(_ v: Double) -> Double { left + w * (v - x0) / (x1 - x0) }
        var svg = header(width, height, title: title)
        let plotH = rowHeight * Double(rows.count)
        svg += axes(left: left, top: top, w: w, h: plotH)
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n",
                      x(1), top, x(1), top + plotH)
        for tick in ticks(x0, x1) {
            svg += text(x(tick), top + plotH + 16, String(format: "%.2fx", tick), anchor: "middle", size: 10)
        }
        svg += text(left + w / 2, Double(height) - 6, "ratio to native (median, 95% bootstrap interval)", anchor: "middle", size: 11)
        for (i, row) in rows.enumerated() {
            let cy = top + rowHeight * (Double(i) + 0.5)
            let c = colour(row.environment)
            svg += text(left - 8, cy + 4, row.label, anchor: "end", size: 11)
            svg += String(format: "<line class=\"interval\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"3\"/>\n",
                          x(row.ratio.ciLow), cy, x(row.ratio.ciHigh), cy, c)
            for v in [row.ratio.ciLow, row.ratio.ciHigh] {
                svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"3\"/>\n",
                              x(v), cy - 6, x(v), cy + 6, c)
            }
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%@\"/>\n", x(row.ratio.ratio) - 5, cy - 5, c)
            if row.ratio.significant { svg += text(x(row.ratio.ciHigh) + 8, cy + 4, "*", anchor: "start", size: 13) }
        }
        return svg + "</svg>\n"
    }

    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let step = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100].first { (hi - lo) / $0 <= 8 } ?? (hi - lo) / 5
        var t = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while t <= hi { out.append(t); t += step }
        return out
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
