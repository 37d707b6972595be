import ArgumentParser
import Foundation
import Environments
import Harness
import IsoprobeCore
import Reports

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks of isoprobe itself.",
        subcommands: [OverheadBenchCommand.self, ContainerStartBenchCommand.self])
}

struct OverheadBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overhead",
        abstract: "ns per getpid with no probe, empty hooks, isoprobe's probes and bpftrace, side by side in one run.")

    @Option(help: "getpid calls per measurement.")
    var count: Int = 2_000_000

    @Option(name: .customLong("reps"), help: "Measurements per mode (interleaved).")
    var repetitions: Int = 5

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        Interruption.shared.install()
        do {
            try Doctor.requireRunPrerequisites()
            let bench = try OverheadBench(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            let result = try bench.run(count: count, repetitions: repetitions) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            print(result.render(), terminator: "")
        } catch {
            fail(error)
        }
    }
}

struct ContainerStartBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container-start",
        abstract: "isoprobe's container start-to-exit time against a bare runtime run of the same bundle.")

    @Option(name: .customLong("reps"), help: "Measurements of each (interleaved).")
    var repetitions: Int = 15

    @Option(name: .customLong("runtime"), help: "OCI runtime: runc (default), crun, or a path.")
    var runtime: String = "runc"

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        Interruption.shared.install()
        do {
            try Doctor.requireRunPrerequisites()
            let bench = try ContainerStartBench(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            let result = try bench.run(repetitions: repetitions, runtime: runtime) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            print(result.render(), terminator: "")
        } catch {
            fail(error)
        }
    }
}
