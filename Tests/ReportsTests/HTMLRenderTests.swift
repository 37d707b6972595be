import Foundation
import IsoprobeCore
import Reports
import Testing

/// The HTML report opened in a real headless Chromium: its plots must be on the page.
@Suite struct HTMLRenderTests {
    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    @Test func selfContained() throws {
        let html = HTMLReport().render(Sample.document)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
        #expect(!html.contains("https://") && !html.contains("<script"), "no network assets, no scripts")
        for env in ["native", "container", "vm"] {
            #expect(html.components(separatedBy: "data-environment=\"\(env)\"").count - 1 == 2, "\(env): one series in each latency plot")
            #expect(html.contains("stroke=\"\(SVGPlot.colour(env))\""))
        }
        #expect(Set(["native", "container", "container-host", "vm", "other"].map(SVGPlot.colour)).count == 5, "a fixed colour per environment")
        #expect(html.components(separatedBy: "<svg").count - 1 == 3, "ratio plot, getpid latency, run-queue latency")
    }

    @Test(.enabled(if: (chromium != nil && Python.has("PIL")) || Python.inCI, "needs chromium and python3-pil"))
    func plotsAreVisibleInChromium() throws {
        let browser = try #require(Self.chromium, "chromium not found: apt-get install -y chromium (or `make deps`)")
        try Python.require("PIL", package: "python3-pil")
        let html = temporaryFile("report") + ".html", png = temporaryFile("shot") + ".png"
        let profile = temporaryFile("profile")
        defer { for p in [html, png, profile] { try? FileManager.default.removeItem(atPath: p) } }
        try Data(HTMLReport().render(Sample.document).utf8).write(to: URL(fileURLWithPath: html))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: browser)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--hide-scrollbars",
                       "--screenshot=\(png)", "--window-size=1280,2400", "file://\(html)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: png), "chromium wrote no screenshot (exit \(p.terminationStatus))")
        // Pixels of each environment's series colour: the plots were drawn, not just present in the DOM.
        let r = try Python.run(["-c", """
            import sys
            from PIL import Image
            im = Image.open(sys.argv[1]).convert('RGB')
            counts = {}
            for c in im.getdata():
                counts[c] = counts.get(c, 0) + 1
            for name, hex in (('native', '1f77b4'), ('container', 'ff7f0e'), ('vm', '2ca02c')):
                rgb = tuple(int(hex[i:i+2], 16) for i in (0, 2, 4))
                print(name, counts.get(rgb, 0))
            """, png])
        #expect(r.status == 0, "\(r.output)")
        for line in r.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let n = Int(parts[1]) else { continue }
            #expect(n > 400, "only \(n) pixels of the \(parts[0]) colour in the screenshot")
        }
        #expect(r.output.split(separator: "\n").count == 3)
    }
}
