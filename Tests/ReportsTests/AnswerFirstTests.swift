import Foundation
import IsoprobeCore
import Reports
import Testing

/// The report answers first: the ratio table with a verdict per workload and environment
/// on the first screen, the findings largest first, set-up and tear-down as times, host
/// facts once, a log-scale ratio plot, and the per-syscall detail with --detail.
@Suite struct AnswerFirstTests {
    let doc = AnswerSample.document

    @Test func theRatioTableIsOnTheFirstScreenWithAVerdictForEachComparison() throws {
        let text = TextReport().render(doc)
        let firstScreen = Array(text.split(separator: "\n", omittingEmptySubsequences: false).prefix(40))
        let header = try #require(firstScreen.firstIndex { $0.contains("vs native [95% CI]") && $0.contains("verdict") }, "\(text)")
        #expect(firstScreen[header - 1].hasPrefix("ratio to native of each workload's primary metric (8 paired rounds)"))
        for (workload, environment, metric, verdict) in AnswerSample.expected {
            let row = firstScreen[header...].first { $0.contains(workload + " ") && $0.contains(" \(environment) ") }
            #expect(row?.contains(" \(metric) ") == true, "\(workload) \(environment): \(row ?? "no row")")
            #expect(row?.contains(" \(verdict) ") == true, "\(workload) \(environment) should be \(verdict): \(row ?? "no row")")
        }
        #expect(firstScreen.contains { $0.contains("unresolved: neither") }, "the verdicts are explained")
        // Findings: significant differences of gating metrics, largest first either way.
        let findingsAt = try #require(text.range(of: "findings: significant differences, largest first\n"))
        let findings = text[findingsAt.upperBound...].split(separator: "\n").dropFirst().prefix { $0.hasPrefix("  ") }
        #expect(findings.map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ==
                ["getpid:count=100000 vm ns", "compute:iterations=1000 vm ns", "getpid:count=100000 container ns"], "\(text)")
        #expect(findings.first?.contains("20.00x [18.00, 22.00]") == true)
    }

    @Test func verdictsFollowTheRule() {
        func verdict(_ r: Double, _ lo: Double, _ hi: Double, _ significant: Bool, n: Int = 8) -> AnswerTable.Verdict {
            .of(AnswerSample.ratio(r, lo, hi, significant, n: n), threshold: 0.05)
        }
        #expect(verdict(1.2, 1.1, 1.3, true) == .slower)
        #expect(verdict(0.8, 0.7, 0.9, true) == .faster)
        #expect(verdict(1.02, 0.96, 1.05, false) == .within)
        #expect(verdict(1.02, 0.9, 1.1, false) == .unresolved)
        #expect(verdict(1.0, 1.0, 1.0, false, n: 1) == .unresolved, "one run a side has no interval to be within")
        #expect(AnswerTable.Verdict.within.words(threshold: 0.05) == "within ±5%")
    }

    /// "23060.49x" was native's set-up against a container's: every format shows set-up and
    /// tear-down as times, and never lists them among the findings.
    @Test func setUpAndTearDownAreTimesNeverRatios() throws {
        let ratio = try Regex(#"[0-9]+\.[0-9]+x"#)
        let formats = ["text": TextReport().render(doc), "text --detail": TextReport(detail: true).render(doc),
                       "markdown": try Exporter.render(doc, as: .markdown), "html": try Exporter.render(doc, as: .html)]
        for (name, out) in formats {
            #expect(!out.contains("23060"), "\(name) shows set-up as a ratio")
            for line in out.split(separator: "\n") where line.contains("set-up") || line.contains("tear-down") {
                #expect(line.firstMatch(of: ratio) == nil, "\(name): \(line)")
            }
        }
        let detailed = TextReport(detail: true).render(doc)
        let setUp = try #require(detailed.split(separator: "\n").first { $0.hasPrefix("  environment set-up") })
        #expect(setUp.components(separatedBy: "+40.0 ms").count == 3, "container's and vm's set-up beyond native's: \(setUp)")
        let runs = try #require(TextReport().render(doc).range(of: "runs:\n"))
        #expect(TextReport().render(doc)[runs.upperBound...].contains("40.0 ms"), "the runs table gives set-up times")
    }

    /// A guest run records QEMU as its runtime and in qemu_version: it is listed once.
    @Test func hostFactsAppearOnce() throws {
        let qemu = "QEMU emulator version 7.2.19"
        for (name, out) in [("html", try Exporter.render(doc, as: .html)), ("markdown", try Exporter.render(doc, as: .markdown)),
                            ("text", TextReport().render(doc))] {
            #expect(out.components(separatedBy: qemu).count == 2, "\(name) lists QEMU \(out.components(separatedBy: qemu).count - 1) times")
            #expect(out.components(separatedBy: "runc version 1.1.5").count == 2, "\(name): runc once")
        }
        #expect(try Exporter.render(doc, as: .html).contains("<tr><th>QEMU</th><td>\(qemu)</td></tr>"))
    }

    /// 1.05x and 20x in one plot: both inside it, 1.05x visibly off the line at 1, the rows
    /// under their workload's heading.
    @Test func theRatioPlotUsesALogAxisGroupedByWorkload() throws {
        let rows = [SVGPlot.Interval(workload: "a", label: "container · wall time", environment: "container",
                                     ratio: AnswerSample.ratio(1.05, 1.04, 1.06, true)),
                    SVGPlot.Interval(workload: "b", label: "vm · wall time", environment: "vm",
                                     ratio: AnswerSample.ratio(20, 18, 22, true)),
                    SVGPlot.Interval(workload: "a", label: "vm · wall time", environment: "vm",
                                     ratio: AnswerSample.ratio(0.5, 0.45, 0.55, true))]
        let svg = SVGPlot.ratios(title: "Ratio to native", rows: rows)
        let frame = try #require(svg.firstMatch(of: #/<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)" height="[0-9.]+" fill="none"/#))
        let (left, width) = (Double(frame.1)!, Double(frame.2)!)
        let one = try #require(svg.firstMatch(of: #/<line x1="([0-9.]+)"[^>]*stroke-dasharray/#)).1
        var centre: [String: Double] = [:]
        for m in svg.matches(of: #/class="ratio" data-ratio="([0-9.]+)" x="([0-9.]+)"/#) { centre[String(m.1)] = Double(m.2)! + 5 }
        for value in ["1.05", "20", "0.5"] {
            let x = try #require(centre[value], "no marker for \(value): \(svg)")
            #expect(x > left && x < left + width, "\(value)x at \(x), outside \(left)...\(left + width)")
        }
        #expect(centre["1.05"]! - Double(one)! >= 5, "1.05x is drawn on top of 1x")
        // Log scale: 0.5x lies as far below 1 as 2x would lie above it.
        let axis = SVGPlot.LogAxis([0.45, 22], left: left, width: width)
        #expect(abs((axis.x(1) - axis.x(0.5)) - (axis.x(2) - axis.x(1))) < 0.01)
        #expect(svg.contains(">1.05x *</text>") && svg.contains(">20.00x *</text>"), "each value written beside it")
        // Grouped: workload a's heading, its two rows, then b's.
        let order = ["<text x=\"8.0\"", ">container · wall time<", ">vm · wall time<", "<text x=\"8.0\"", ">vm · wall time<"]
        var at = svg.startIndex
        for piece in order {
            let r = try #require(svg.range(of: piece, range: at..<svg.endIndex), "\(piece) out of order")
            at = r.upperBound
        }
        #expect(svg.components(separatedBy: "font-weight=\"bold\">a</text>").count == 2)
        // The report's plot holds every workload's primary ratios.
        let html = HTMLReport().render(doc)
        #expect(html.contains("data-ratio=\"20\"") && html.contains("data-ratio=\"1.01\""))
    }

    @Test func detailAddsTheSyscallTablesAndHistograms() throws {
        let plain = TextReport().render(doc)
        let detailed = TextReport(detail: true).render(doc)
        for piece in ["  syscalls: ", "distribution", "side by side", "getpid latency:"] {
            #expect(!plain.contains(piece), "without --detail: \(piece)")
            #expect(detailed.contains(piece), "with --detail: \(piece)")
        }
        #expect(plain.contains("--detail"), "the short report says how to get the rest")
        #expect(try Exporter.render(doc, as: .text, detail: true) == detailed)
        let runs = try #require(plain.range(of: "\nruns:\n"))
        #expect(detailed.hasPrefix(plain[..<runs.lowerBound]), "the same answer, findings and summary open both")
        // Always in the Markdown and HTML.
        #expect(try Exporter.render(doc, as: .markdown).contains("| syscall | count | errors | total | mean |"))
        let html = try Exporter.render(doc, as: .html)
        #expect(html.contains("<th>syscall</th>") && html.contains("<td>getpid</td>"))
        #expect(html.contains("getpid latency"))
    }

    @Test func markdownAndHTMLOpenWithTheAnswer() throws {
        let md = try Exporter.render(doc, as: .markdown)
        let answer = try #require(md.range(of: "## Answer"))
        let overhead = try #require(md.range(of: "## Overhead against native"))
        #expect(answer.lowerBound < overhead.lowerBound)
        #expect(md.contains("| `getpid:count=100000` | vm | ns per op | 20.00x [18.00, 22.00] | slower |"), "\(md)")
        #expect(md.contains("Findings, largest first"))
        let html = try Exporter.render(doc, as: .html)
        #expect(html.range(of: "<h2>Answer</h2>")!.lowerBound < html.range(of: "<h2>Overhead against native</h2>")!.lowerBound)
        #expect(html.contains("<td>within ±5%</td>"))
    }
}

/// Five workloads in native, a container and a guest, with known verdicts.
enum AnswerSample {
    static func ratio(_ r: Double, _ lo: Double, _ hi: Double, _ significant: Bool, n: Int = 8) -> RatioSummary {
        RatioSummary(ratio: r, ciLow: lo, ciHigh: hi, pValue: significant ? 0.004 : 0.3, significant: significant,
                     method: .paired, n: n, minimumDetectable: 0.08)
    }

    /// workload, environment, primary metric's words, verdict.
    static let expected = [
        ("getpid:count=100000", "container", "ns per op", "slower"), ("getpid:count=100000", "vm", "ns per op", "slower"),
        ("compute:iterations=1000", "container", "ns per op", "within ±5%"), ("compute:iterations=1000", "vm", "ns per op", "faster"),
        ("pipe-cmd", "container", "wall time", "unresolved"), ("pipe-cmd", "vm", "wall time", "within ±5%"),
    ] + (1...3).flatMap { i in ["container", "vm"].map { ("sleep:ms=\(i)", $0, "ns per op", "within ±5%") } }

    /// Per workload and environment its primary ratio; ns per op unless the workload is a command.
    static let ratios: [String: RatioSummary] = [
        "getpid:count=100000/container": ratio(1.2, 1.15, 1.26, true), "getpid:count=100000/vm": ratio(20, 18, 22, true),
        "compute:iterations=1000/container": ratio(1.01, 0.99, 1.03, false), "compute:iterations=1000/vm": ratio(0.8, 0.75, 0.85, true),
        "pipe-cmd/container": ratio(1.05, 0.9, 1.25, false), "pipe-cmd/vm": ratio(1.0, 0.98, 1.02, false),
    ]

    static var document: ResultDocument {
        var host = Sample.document.host
        host.runtimeVersions = ["runc": "runc version 1.1.5", "qemu": "QEMU emulator version 7.2.19"]
        host.qemuVersion = "QEMU emulator version 7.2.19"
        host.accelerator = "tcg"
        let workloads = ["getpid:count=100000", "compute:iterations=1000", "pipe-cmd", "sleep:ms=1", "sleep:ms=2", "sleep:ms=3"]
        var runs: [RunResult] = []
        var metrics: [MetricSummary] = []
        for workload in workloads {
            for env in ["native", "container", "vm"] {
                for rep in 1...2 {
                    var r = Sample.run(env, rep: rep, wall: 15_000_000)
                    r.workload.spec = workload
                    r.setupNs = env == "native" ? 1_000 : 40_001_000
                    if workload == "pipe-cmd" { r.workloadReport = nil }
                    runs.append(r)
                }
                let primary = workload == "pipe-cmd" ? ("wall_ns", "ns", 15e6) : ("workload_ns_per_op", "ns/op", 150.0)
                let vs = env == "native" ? nil : ratios["\(workload)/\(env)"] ?? ratio(1.0, 0.99, 1.01, false)
                metrics.append(summary(workload, env, primary.0, primary.1, primary.2 * (vs?.ratio ?? 1), vs))
                metrics.append(summary(workload, env, "setup_ns", "ns", env == "native" ? 1_000 : 23_060_490,
                                       env == "native" ? nil : ratio(23060.49, 20000, 26000, true)))
            }
        }
        let method = SummaryMethod(repetitions: 8, warmups: 1, order: "rounds", test: SummaryMethod.pairedTest)
        return ResultDocument(host: host, runs: runs, createdAt: Date(timeIntervalSince1970: 1_790_000_000),
                              summary: SummaryReport(method: method, metrics: metrics))
    }

    static func summary(_ workload: String, _ env: String, _ metric: String, _ unit: String, _ median: Double,
                        _ vs: RatioSummary?) -> MetricSummary {
        MetricSummary(workload: workload, environment: env, metric: metric, unit: unit, n: 8, values: [median], median: median,
                      q1: median, q3: median, ciLow: median, ciHigh: median, vsNative: vs)
    }
}

/// Probe runs the kernel skipped are said once per family, in the notes, with the JSON's count.
@Suite struct ProbeNoteTests {
    @Test func missedRunsAreSummedPerFamily() throws {
        var a = Sample.run("native", rep: 1, wall: 1_000_000)
        var b = Sample.run("container", rep: 1, wall: 1_000_000)
        #expect(ProbeNote.lines([a, b]).isEmpty)
        a.probes[0].missedRuns = 2
        b.probes[0].missedRuns = 3
        let lines = ProbeNote.lines([a, b])
        #expect(lines.count == 1 && lines[0].hasPrefix("the syscalls probes missed 5 events in 2 runs"), "\(lines)")
        let json = String(decoding: try ResultDocument.encoder().encode(a.probes[0]), as: UTF8.self)
        #expect(json.contains("\"missed_runs\" : 2"), "\(json)")
    }
}
