import ArgumentParser
import Diagnostics
import Foundation
import Harness
import IsoprobeCore

struct BlockObserverBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block-observer",
        abstract: "A fio job (or 4 KiB random reads at QD1) directly and under each probe family, interleaved: what the probes cost I/O.")

    @Option(name: .customLong("rounds"), help: "Interleaved rounds (each runs every mode once); at least 9.")
    var rounds: Int = 9

    @Option(help: "Seconds per run.")
    var seconds: Double = 2

    @Option(help: "fio (its psync engine; the default where fio is installed) or blockio (libaio, QD1).")
    var engine: String = "fio"

    @Option(help: "A fio job file to run instead (as `--workload fio:job=FILE` runs it, on the bench's loop device); it runs for as long as it says.")
    var job: String?

    @Flag(help: "Also count what each BPF program costs per I/O in every mode (the kernel's run-time statistics, which add two clock reads to every program run).")
    var programCosts = false

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
            let what: BlockObserverBench.Job = job.map { .file($0) } ?? .randomReads(engine: engine, seconds: seconds)
            return try bench.run(rounds: rounds, job: what, programCosts: programCosts, progress: progress).render()
        }
    }
}
