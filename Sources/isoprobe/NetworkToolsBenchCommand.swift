import ArgumentParser
import Diagnostics
import Harness
import IsoprobeCore

struct NetworkToolsBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network-tools",
        abstract: "iperf3 against tcp-stream and sockperf against tcp-rr on the same path: the median of interleaved paired ratios.")

    @Option(name: .customLong("reps"), help: "Rounds (each runs all four in every environment; at least 9).")
    var rounds: Int = 9

    @Option(help: "Seconds each workload runs.")
    var seconds: Int = 1

    @Option(help: "Message size of tcp-rr and sockperf, bytes (sockperf's least is 14).")
    var size: Int = 64

    @Option(name: .customLong("env"), help: "Environments, comma-separated.")
    var environments = EnvironmentList([.native, .container])

    @OptionGroup var resources: ResourceOptions

    func validate() throws {
        guard rounds >= 9 else { throw ValidationError("--reps must be at least 9: the comparison is a median of paired ratios") }
        guard seconds >= 1 else { throw ValidationError("--seconds must be at least 1") }
        guard size >= 14 && size <= 65000 else { throw ValidationError("--size must be 14 to 65000 bytes (sockperf's range)") }
    }

    func run() throws {
        runBenchmark { progress in
            try Doctor.requireRunPrerequisites()
            let bench = NetworkToolsBench(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            return try bench.run(rounds: rounds, seconds: seconds, size: size, environments: environments.kinds,
                                 progress: progress).render()
        }
    }
}
