import ArgumentParser
import Foundation
import Harness
import Host
import IsoprobeCore
import Reports

/// isoprobe's own fixed costs, each measured side by side in one run.
struct StartupBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "A one-call native run with every probe against one without probes, interleaved: what starting isoprobe and loading its probes cost.")

    @Option(name: .customLong("reps"), help: "Runs of each (interleaved).")
    var repetitions: Int = 11

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--reps must be at least 1") }
    }

    func run() throws {
        runBenchmark { progress in
            let binary = Resources.executablePath
            var times: [String: [Double]] = ["all": [], "none": []]
            for rep in 1...repetitions {
                for probes in rep % 2 == 1 ? ["all", "none"] : ["none", "all"] {
                    let started = ContinuousClock.now
                    let result = try HelperCommand.run([binary, "run", "--workload", "getpid:count=1", "--probes", probes,
                                                        "--no-history", "--quiet"], timeout: 60)
                    guard result.status == 0 else {
                        throw IsoprobeError(.failed, "isoprobe run --probes \(probes) exited \(result.status)", cause: result.stderr)
                    }
                    let ms = (ContinuousClock.now - started).milliseconds
                    times[probes]!.append(ms)
                    progress(String(format: "rep %d: --probes %@ %.1f ms", rep, probes, ms))
                }
            }
            let all = Statistics.median(times["all"]!) ?? 0, none = Statistics.median(times["none"]!) ?? 0
            return String(format: """
                isoprobe run --workload getpid:count=1, start to exit, median of %d:
                  --probes all   %8.1f ms
                  --probes none  %8.1f ms
                probes' share: %.1f ms (%.0f%%)

                """, repetitions, all, none, all - none, all > 0 ? 100 * (all - none) / all : 0)
        }
    }
}

/// The statistics and every report format for a results document, timed: what a suite's
/// end costs after its last run.
struct ReportsBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "Time the analysis (the summary) and each report format for a results file, e.g. a suite's results.json.")

    @Argument(help: "A results document (--json output, or results.json of --out).")
    var results: String

    @Option(name: .customLong("reps"), help: "Measurements of each.")
    var repetitions: Int = 3

    func run() throws {
        runBenchmark { progress in
            guard let data = FileManager.default.contents(atPath: results) else {
                throw IsoprobeError(.usage, "\(results): no such results file", fix: "give a --json output or an --out folder's results.json")
            }
            let document = try ResultDocument.decoder().decode(ResultDocument.self, from: data)
            let method = document.summary?.method ?? SummaryMethod(repetitions: 0, warmups: 0, order: "")
            func time(_ body: () throws -> Void) rethrows -> Double {
                var samples: [Double] = []
                for _ in 0..<max(repetitions, 1) {
                    let t = ContinuousClock.now
                    try body()
                    samples.append((ContinuousClock.now - t).milliseconds)
                }
                return Statistics.median(samples) ?? 0
            }
            var lines = ["\(document.runs.count) runs; median of \(repetitions), ms:"]
            let analysis = time { _ = Outputs.summary(document.runs, method: method) }
            func row(_ name: String, _ ms: Double) -> String {
                "  " + name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%10.1f", ms)
            }
            lines.append(row("analysis", analysis))
            progress("analysis \(Int(analysis)) ms")
            var total = analysis
            for format in ExportFormat.allCases {
                let ms = try time { _ = try Exporter.render(document, as: format, detail: false) }
                total += ms
                lines.append(row(format.rawValue, ms))
                progress("\(format.rawValue) \(Int(ms)) ms")
            }
            lines.append(row("total", total))
            return lines.joined(separator: "\n") + "\n"
        }
    }
}

