import Foundation
import IsoprobeCore
import Reports
import Testing

@Suite struct ExportTests {
    let doc = Sample.document

    @Test func markdownHasTheFiguresAndTheRatio() throws {
        let md = try Exporter.render(doc, as: .markdown)
        #expect(md.hasPrefix("# isoprobe report\n"))
        #expect(md.contains("| getpid | 100000 | 0 |"), "the getpid count as measured")
        #expect(md.contains("2.00× [1.90, 2.10] **significant**"))
        #expect(md.contains("Mann-Whitney U p < 0.01"))
        #expect(md.contains("### container: `getpid:count=100000`"))
        let overhead = try #require(md.range(of: "## Overhead against native"))
        let vmRow = try #require(md[overhead.upperBound...].split(separator: "\n").first { $0.hasPrefix("| `getpid:count=100000` | vm | wall time |") })
        #expect(vmRow.contains("3.93× [3.50, 4.40] |"), "not significant, so not marked: \(vmRow)")
        #expect(md.contains("- scheduling: 3 voluntary + 2 involuntary switches, 1 migrations"))
        #expect(md.contains("- memory: 64 user + 3 kernel page faults"))
    }

    /// A workload that wrote to different filesystems per environment is flagged in the
    /// text and Markdown reports; one that wrote to the same kind everywhere is not.
    @Test func differentScratchFilesystemsAreNoted() throws {
        func fileio(_ env: String, _ rep: Int, fs: String) -> RunResult {
            var r = Sample.run(env, rep: rep, wall: 1_000_000)
            r.workload.spec = "fileio:count=10"
            r.workloadReport?.extra = ["name": "fileio", "fs": fs]
            return r
        }
        var doc = Sample.document
        doc.summary = nil
        doc.runs = [fileio("native", 1, fs: "ext4"), fileio("container", 1, fs: "ext4"), fileio("vm", 1, fs: "tmpfs"),
                    fileio("native", 2, fs: "ext4"), fileio("container", 2, fs: "ext4"), fileio("vm", 2, fs: "tmpfs")]
        let want = "fileio:count=10 wrote to different filesystems: native ext4, container ext4, vm tmpfs"
        let text = try Exporter.render(doc, as: .text)
        #expect(text.components(separatedBy: "note: " + want).count == 2, "one note: \(text)")
        let detailed = try Exporter.render(doc, as: .text, detail: true)
        #expect(detailed.components(separatedBy: "note: " + want).count == 2, "one note: \(detailed)")
        #expect(detailed.contains("ns/op (fs ext4)"), "the workload line names its filesystem")
        #expect(try Exporter.render(doc, as: .markdown).contains("> **Note:** " + want))

        doc.runs = doc.runs.filter { $0.environment != "vm" }
        #expect(!(try Exporter.render(doc, as: .text)).contains("different filesystems"))
    }

    @Test func markdownCompareListsRegressionsFirst() throws {
        func change(_ env: String, _ metric: String, _ a: Double, _ b: Double, _ verdict: MetricChange.Verdict) -> MetricChange {
            MetricChange(workload: "getpid:count=100000", environment: env, metric: metric, unit: "ns", medianA: a, medianB: b,
                         ratio: RatioSummary(ratio: b / a, ciLow: b / a * 0.95, ciHigh: b / a * 1.05, pValue: 0.001, significant: verdict != .unchanged),
                         verdict: verdict)
        }
        let changes = [change("native", "wall_ns", 1e6, 0.5e6, .improvement), change("vm", "cpu_ns", 1e6, 1e6, .unchanged),
                       change("container", "wall_ns", 1e6, 1.5e6, .regression)]
        let md = MarkdownReport().render(changes: changes, a: "run-a", b: "run-b") { $0.environment != "vm" }
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| verdict") }
        #expect(md.hasPrefix("# isoprobe compare: run-a → run-b\n"))
        #expect(rows.count == 3)
        #expect(rows[0].hasPrefix("| **regression** | `getpid:count=100000` | container | wall_ns | 1.0 ms | 1.5 ms | 1.500× [1.425, 1.575] |"),
                "\(rows[0])")
        #expect(rows[1].hasPrefix("| **improvement** |"))
        #expect(rows[2].hasPrefix("| unchanged |"))
    }

    @Test func csvIsOneRowPerRunAndMetric() throws {
        let csv = try Exporter.render(doc, as: .csv)
        let rows = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let expected = doc.runs.map { CSVExport.metrics(of: $0).count }.reduce(0, +)
        #expect(rows.count == expected + 1)
        // The registry's metrics the run has, in its order, then three raw counts per syscall
        // and the rest of the raw figures, each name once.
        for run in doc.runs {
            let names = CSVExport.metrics(of: run).map(\.0)
            let registered = MetricDefinition.all.filter { $0.value(run) != nil }.map(\.name)
            #expect(registered.count >= 15)
            #expect(Array(names.prefix(registered.count)) == registered)
            #expect(names.filter { $0.hasPrefix("syscall:") }.count == 3 * run.syscalls.count)
            #expect(Set(names).count == names.count)
        }
        #expect(rows[0] == CSVExport.header.joined(separator: ","))
        #expect(rows.contains { $0.hasSuffix(",syscall:getpid:count,count,100000") && $0.hasPrefix("1,native,getpid:count=100000,1,") })
        #expect(CSVExport.field("a,\"b\"") == "\"a,\"\"b\"\"\"")
        #expect(CSVExport.field("plain") == "plain")
    }

    @Test func openMetricsHistogramsAreCumulative() throws {
        let text = try Exporter.render(doc, as: .openmetrics)
        #expect(text.hasSuffix("# EOF\n"))
        let lines = text.split(separator: "\n").map(String.init)
        // Every family's TYPE comes before its samples, once.
        let types = lines.filter { $0.hasPrefix("# TYPE ") }
        #expect(Set(types).count == types.count)
        // The getpid histogram of the first run: cumulative, +Inf equals _count.
        let prefix = "isoprobe_syscall_latency_seconds_bucket{environment=\"native\",workload=\"getpid:count=100000\",repetition=\"1\",syscall=\"getpid\","
        let buckets = lines.filter { $0.hasPrefix(prefix) }.map { UInt64($0.split(separator: " ").last!)! }
        #expect(buckets.count >= 2)
        #expect(buckets == buckets.sorted(), "cumulative counts never fall")
        #expect(buckets.last == 100_000)
        #expect(lines.contains("isoprobe_syscall_latency_seconds_count{environment=\"native\",workload=\"getpid:count=100000\",repetition=\"1\",syscall=\"getpid\"} 100000"))
        #expect(lines.contains("isoprobe_syscalls_total{environment=\"native\",workload=\"getpid:count=100000\",repetition=\"1\",syscall=\"getpid\"} 100000"))
        #expect(lines.contains("isoprobe_overhead_ratio{environment=\"container\",workload=\"getpid:count=100000\",metric=\"wall_ns\",bound=\"median\"} 2.0"))
        // Every histogram series (syscalls, run-queue, on-CPU slices): cumulative, +Inf == _count.
        var series: [String: [UInt64]] = [:]
        var counts: [String: UInt64] = [:]
        var lastLe: [String: String] = [:]
        for line in lines where !line.hasPrefix("#") {
            let (sample, value) = (line.split(separator: " ")[0], line.split(separator: " ")[1])
            if let r = sample.range(of: "_bucket{") {
                let key = String(sample[..<r.lowerBound]) + "{" + sample[r.upperBound...].replacingOccurrences(of: #",le="[^"]*"\}"#, with: "}",
                                                                                                                 options: .regularExpression)
                series[key, default: []].append(UInt64(value)!)
                lastLe[key] = sample.contains("le=\"+Inf\"") ? "+Inf" : "finite"
            } else if let r = sample.range(of: "_count{") {
                counts[String(sample[..<r.lowerBound]) + "{" + sample[r.upperBound...]] = UInt64(value)!
            }
        }
        #expect(series.count == doc.runs.count * 4, "getpid, openat, run-queue and on-CPU histograms per run")
        for (key, buckets) in series {
            #expect(buckets == buckets.sorted(), "\(key) not cumulative")
            #expect(lastLe[key] == "+Inf", "\(key) does not end with the +Inf bucket")
            #expect(buckets.last == counts[key], "\(key): +Inf bucket \(buckets.last ?? 0) against _count \(counts[key] ?? 0)")
        }
        #expect(lines.contains { $0.hasPrefix("isoprobe_runqueue_latency_seconds_sum{environment=\"native\"") && $0.hasSuffix(" 8.2e-05") })
        #expect(OpenMetricsExport.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }

    @Test(.enabled(if: Python.available("prometheus_client", package: "python3-prometheus-client"),
                   "needs python3-prometheus-client (OpenMetrics parser)"))
    func openMetricsParsesWithTheReferenceParser() throws {
        try Python.require("prometheus_client", package: "python3-prometheus-client")
        let text = try Exporter.render(doc, as: .openmetrics)
        let r = try Python.run(["-c", """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            fams = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}
            h = fams['isoprobe_syscall_latency_seconds']
            count = [s.value for s in h.samples if s.name.endswith('_count') and s.labels['syscall'] == 'getpid'][0]
            print(len(fams), h.type, int(count))
            """], input: Data(text.utf8))
        #expect(r.status == 0, "parser refused the exposition: \(r.output)")
        #expect(r.output.hasSuffix("histogram 100000\n"), "\(r.output)")
    }

    /// The Prometheus text format (0.0.4, what a Pushgateway takes) carries the same samples as
    /// the OpenMetrics export, written its own way: HELP then TYPE naming the samples' own
    /// name, no UNIT, no EOF.
    @Test func prometheusTextHasTheOpenMetricsSamplesInItsOwnForm() throws {
        let text = try Exporter.render(doc, as: .prometheus)
        let open = try Exporter.render(doc, as: .openmetrics)
        let samples = { (t: String) in t.split(separator: "\n").filter { !$0.hasPrefix("#") } }
        #expect(samples(text) == samples(open), "the one walk: the same sample lines in the same order")
        #expect(!text.contains("# EOF") && !text.contains("# UNIT"))
        let lines = text.split(separator: "\n").map(String.init)
        let comments = lines.filter { $0.hasPrefix("#") }
        // Each family: # HELP name, then # TYPE name, then its samples, whose names start with it.
        for (i, line) in lines.enumerated() where line.hasPrefix("# HELP ") {
            let name = String(line.split(separator: " ")[2])
            #expect(lines[i + 1].hasPrefix("# TYPE \(name) "), "\(line) then \(lines[i + 1])")
            #expect(lines[i + 2].hasPrefix(name), "\(lines[i + 2]) after the family \(name)")
        }
        #expect(comments.contains("# TYPE isoprobe_syscalls_total counter"))
        #expect(comments.contains("# TYPE isoprobe_syscall_latency_seconds histogram"))
        #expect(comments.filter { $0.hasPrefix("# TYPE ") }.count == comments.filter { $0.hasPrefix("# HELP ") }.count)
        #expect(PrometheusTextExport.escapeHelp("a\\b\nc\"d") == "a\\\\b\\nc\"d", "HELP escapes backslash and newline only")
    }

    @Test(.enabled(if: Python.available("prometheus_client", package: "python3-prometheus-client"),
                   "needs python3-prometheus-client (Prometheus text parser)"))
    func prometheusTextParsesWithTheReferenceParser() throws {
        try Python.require("prometheus_client", package: "python3-prometheus-client")
        let text = try Exporter.render(doc, as: .prometheus)
        let r = try Python.run(["-c", """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            fams = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}
            calls = [s.value for s in fams['isoprobe_syscalls'].samples
                     if s.labels['syscall'] == 'getpid' and s.labels['repetition'] == '1' and s.labels['environment'] == 'native']
            h = fams['isoprobe_syscall_latency_seconds']
            count = [s.value for s in h.samples if s.name.endswith('_count') and s.labels['syscall'] == 'getpid'][0]
            print(len(fams), fams['isoprobe_syscalls'].type, int(calls[0]), h.type, int(count))
            """], input: Data(text.utf8))
        #expect(r.status == 0, "parser refused the exposition: \(r.output)")
        let families = Set(MetricExposition.families(doc).map(\.name)).count
        #expect(r.output == "\(families) counter 100000 histogram 100000\n", "\(r.output)")
    }

    @Test(.enabled(if: Python.available("jsonschema", package: "python3-jsonschema"), "needs python3-jsonschema"))
    func jsonValidatesAgainstTheRepositorysSchema() throws {
        try Python.require("jsonschema", package: "python3-jsonschema")
        let json = try Exporter.render(doc, as: .json)
        let r = try Python.run(["-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            errors = [f"{e.json_path}: {e.message}" for e in v.iter_errors(json.load(sys.stdin))]
            print("\\n".join(errors) or "valid")
            sys.exit(1 if errors else 0)
            """, Repo.root + "/docs/result.schema.json"], input: Data(json.utf8))
        #expect(r.status == 0 && r.output == "valid\n", "\(r.output)")
        // The schema catches drift: an unknown field fails.
        let broken = json.replacingOccurrences(of: "\"wall_ns\"", with: "\"wall_nanoseconds\"")
        let bad = try Python.run(["-c", """
            import json, sys, jsonschema
            jsonschema.validate(json.load(sys.stdin), json.load(open(sys.argv[1])))
            """, Repo.root + "/docs/result.schema.json"], input: Data(broken.utf8))
        #expect(bad.status != 0)
    }

    @Test func chromeTraceHasCompleteEventsInMicroseconds() throws {
        let data = Data(try Exporter.render(doc, as: .chromeTrace).utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(object["traceEvents"] as? [[String: Any]])
        let complete = events.filter { $0["ph"] as? String == "X" }
        #expect(complete.count == doc.runs.count * 2, "one slow syscall and one run-queue wait per run")
        let open = try #require(complete.first { $0["name"] as? String == "openat" })
        #expect(open["ts"] as? Double == 5_000)
        #expect(open["dur"] as? Double == 12_000)
        #expect((open["args"] as? [String: Any])?["ret"] as? Int == -2)
        #expect(complete.contains { $0["name"] as? String == "run-queue wait" && $0["cat"] as? String == "sched" })
        let names = events.filter { $0["name"] as? String == "process_name" }.compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        #expect(names.first == "native getpid:count=100000 rep 1")
        #expect(Set(events.compactMap { $0["pid"] as? Int }) == Set(1...doc.runs.count))
    }

    @Test func terminalTextColoursOnlyWhenAsked() throws {
        let plain = TextReport().render(doc)
        #expect(!plain.contains("\u{1B}["))
        #expect(plain.contains("2.00x [1.90, 2.10] *"))
        #expect(plain.contains("3.93x [3.50, 4.40]") && !plain.contains("3.93x [3.50, 4.40] *"))
        let answerAt = try #require(plain.range(of: "ratio to native of each workload's primary metric"))
        let summaryAt = try #require(plain.range(of: "summary: 2 repetitions after 1 warm-up"))
        #expect(answerAt.lowerBound < summaryAt.lowerBound, "the answer comes before the overhead table")
        #expect(plain[summaryAt.upperBound...].contains("2.00x [1.90, 2.10] *"), "the overhead table follows it")
        let coloured = TextReport(colour: true).render(doc)
        #expect(coloured.contains("\u{1B}[31m2.00x"))
        #expect(coloured.contains("\u{1B}[31mslower\u{1B}[0m"), "a significant verdict in colour")
    }

    /// A syscall's exit can show the kernel's restart codes: they are named, and not listed
    /// among the errors the program got.
    @Test func kernelRestartCodesAreNotErrorsTheProgramSaw() throws {
        var run = Sample.run("native", rep: 1, wall: 1_000_000)
        run.syscalls = [SyscallStats(name: "wait4", nr: 61, count: 4, errors: 3,
                                     errnos: [.init(errno: "E512", code: 512, count: 2), .init(errno: "ECHILD", code: 10, count: 1)],
                                     totalNs: 4_000, latencyHist: Sample.hist([(1_000, 4)]))]
        let text = TextReport(detail: true).render(ResultDocument(host: doc.host, runs: [run]))
        let errors = try #require(text.split(separator: "\n").first { $0.hasPrefix("  errors: ") }, "\(text)")
        #expect(errors.contains("wait4 ECHILDx1"), "\(errors)")
        #expect(!errors.contains("512") && !errors.contains("ERESTARTSYS"), "\(errors)")
        #expect(text.contains("ERESTARTSYSx2 (restarted, not seen by the program)"), "\(text)")
        #expect(!text.contains("E512"), "\(text)")
    }
}
