import Foundation
import IsoprobeCore

extension SVGPlot {
    /// One memlat curve per environment: ns per load (linear) against the working set (log2),
    /// where each cache and the TLB's reach show as a step.
    public struct Curve {
        public var environment: String
        public var points: [MemoryLatencyCurve.Point]
        public init(environment: String, points: [MemoryLatencyCurve.Point]) {
            self.environment = environment
            self.points = points
        }
    }

    public static func curves(title: String, curves: [Curve], width: Int = 640, height: Int = 300) -> String {
        let all = curves.flatMap(\.points).filter { $0.bytes > 0 }
        guard let lo = all.map(\.bytes).min(), let hi = all.map(\.bytes).max(), let top = all.map(\.nsPerLoad).max()
        else { return "" }
        // Room on the right for the last size's label, centred on the axis' end.
        let left = 60.0, right = 40.0, upper = 30.0, bottom = 50.0
        let w = Double(width) - left - right, h = Double(height) - upper - bottom
        let (lx, hx) = (log2(Double(lo)), max(log2(Double(hi)), log2(Double(lo)) + 1))
        let step = niceStep(max(top * 1.1, 1) / 4)
        let yMax = (max(top * 1.1, 1) / step).rounded(.up) * step
        func x(_ bytes: UInt64) -> Double { left + w * (log2(Double(bytes)) - lx) / (hx - lx) }
        func y(_ ns: Double) -> Double { upper + h - h * ns / yMax }
        var svg = header(width, height, title: title)
        svg += axes(left: left, top: upper, w: w, h: h)
        var size = lo
        while size <= hi {
            svg += text(x(size), upper + h + 16, Format.bytes(size), anchor: "middle", size: 10)
            size *= 4
        }
        svg += text(left + w / 2, Double(height) - 8, "working set (log scale)", anchor: "middle", size: 11)
        svg += text(12, upper + h / 2, "ns per load", anchor: "middle", size: 11, rotate: true)
        var tick = 0.0
        while tick <= yMax + step / 2 {
            if tick > 0 {
                svg += "<line x1=\"\(left)\" y1=\"\(y(tick))\" x2=\"\(left + w)\" y2=\"\(y(tick))\" stroke=\"#ddd\"/>\n"
            }
            svg += text(left - 6, y(tick) + 4, Self.tickLabel(tick), anchor: "end", size: 10)
            tick += step
        }
        for (i, curve) in curves.enumerated() {
            let c = colour(curve.environment)
            let points = curve.points.filter { $0.bytes > 0 }
                .map { String(format: "%.1f,%.1f", x($0.bytes), y($0.nsPerLoad)) }.joined(separator: " ")
            svg += "<polyline class=\"series\" data-environment=\"\(escape(curve.environment))\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            // The sizes measured, so a step between two of them is not read as a slope.
            for p in curve.points where p.bytes > 0 {
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" ", x(p.bytes), y(p.nsPerLoad)) + "fill=\"\(c)\"/>\n"
            }
            svg += legend(i, curve.environment, x: left + 10, y: upper + 6)
        }
        return svg + "</svg>\n"
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`: a step a reader can count in.
    static func niceStep(_ raw: Double) -> Double {
        let power = pow(10, (log10(raw)).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
    }

    static func tickLabel(_ v: Double) -> String {
        v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.1f", v)
    }
}
