import ArgumentParser
import Diagnostics
import Foundation
import Harness
import IsoprobeCore

struct BlockObserverBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block-observer",
        abstract: "4 KiB random reads at QD1 directly and under each probe family, interleaved: what the probes cost I/O.")

    @Option(name: .customLong("rounds"), help: "Interleaved rounds (each runs every mode once); at least 9.")
    var rounds: Int = 9

    @Option(help: "Seconds per run.")
    var seconds: Double = 2

    @Option(help: "fio (its psync engine; the default where fio is installed) or blockio (libaio, QD1).")
    var engine: String = "fio"

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard rounds >= 9 else { throw ValidationError("--rounds must be at least 9 (a median of paired ratios needs them)") }
        guard seconds >= 0.2 && seconds <= 600 else { throw ValidationError("--seconds must be 0.2 to 600") }
        guard ["fio", "blockio"].contains(engine) else { throw ValidationError("--engine must be fio or blockio") }
    }

    func run() throws {
        runBenchmark { progress in
            try Doctor.requireRunPrerequisites()
            let bench = try BlockObserverBench(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            return try bench.run(rounds: rounds, seconds: seconds, engine: engine, progress: progress).render()
        }
    }
}
