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
        let left = 60.0, right = 20.0, upper = 30.0, bottom = 50.0
        let w = Double(width) - left - right, h = Double(height) - upper - bottom
        let (lx, hx) = (log2(Double(lo)), max(log2(Double(hi)), log2(Double(lo)) + 1))
        let yMax = max(top * 1.1, 1)
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
        svg += text(left - 6, upper + 4, String(format: "%.0f", yMax), anchor: "end", size: 10)
        for (i, curve) in curves.enumerated() {
            let c = colour(curve.environment)
            let points = curve.points.filter { $0.bytes > 0 }
                .map { String(format: "%.1f,%.1f", x($0.bytes), y($0.nsPerLoad)) }.joined(separator: " ")
            svg += "<polyline class=\"series\" data-environment=\"\(escape(curve.environment))\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"3\" points=\"\(points)\"/>\n"
            svg += legend(i, curve.environment, x: left + 10, y: upper + 6)
        }
        return svg + "</svg>\n"
    }
}
