import ArgumentParser
import Diagnostics
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import Reports

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks of isoprobe itself.",
        subcommands: [OverheadBenchCommand.self, ContainerStartBenchCommand.self, VMBootBenchCommand.self,
                      SuiteParseBenchCommand.self, StartupBenchCommand.self, ReportsBenchCommand.self,
                      NetworkToolsBenchCommand.self, BlockObserverBenchCommand.self])
}

struct OverheadBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overhead",
        abstract: "ns per getpid with no probe, empty hooks, isoprobe's probes and bpftrace, side by side in one run.")

    @Option(help: "getpid calls per measurement.")
    var count: Int = 2_000_000

    @Option(name: .customLong("reps"), help: "Measurements per mode (interleaved).")
    var repetitions: Int = 5

    @Option(name: .customLong("modes"), help: "Which to measure: none, empty, isoprobe, bpftrace (comma-separated).")
    var modes: String = "none,empty,isoprobe,bpftrace"

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        runBenchmark { progress in
            try Doctor.requireRunPrerequisites()
            let bench = try OverheadBench(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            let chosen = try modes.split(separator: ",").map { name -> OverheadBench.Mode in
                guard let mode = OverheadBench.Mode(rawValue: String(name)) else {
                    throw IsoprobeError(.usage, "--modes: unknown mode '\(name)'", fix: "use none, empty, isoprobe, bpftrace")
                }
                return mode
            }
            return try bench.run(count: count, repetitions: repetitions, modes: chosen, progress: progress).render()
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

    @Option(name: .customLong("kind"), help: "Which bundles: fixture, command, or both (default), measured in turn.")
    var kind: ContainerStartKind = .both

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        runBenchmark { progress in
            try Doctor.requireRunPrerequisites()
            let bench = try ContainerStartBench(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            return try kind.kinds.map {
                try bench.run(repetitions: repetitions, runtime: runtime, kind: $0, progress: progress).render()
            }.joined(separator: "\n")
        }
    }
}

enum ContainerStartKind: String, ExpressibleByArgument, CaseIterable {
    case fixture, command, both

    var kinds: [ContainerStartBench.Kind] {
        switch self {
        case .fixture: [.fixture]
        case .command: [.command]
        case .both: ContainerStartBench.Kind.allCases
        }
    }
}

struct VMBootBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm-boot",
        abstract: "QEMU start to agent ready for a fresh guest, over repeated one-call runs.")

    @Option(name: .customLong("reps"), help: "Guests to boot.")
    var repetitions: Int = 5

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        runBenchmark { progress in
            try Doctor.requireRunPrerequisites()
            let bench = VMBootBench(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            return try bench.run(repetitions: repetitions, progress: progress).render()
        }
    }
}

struct SuiteParseBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite-parse",
        abstract: "Reading a suite of 10,000 and one of 100,000 [[workload]] tables, side by side: the ratio shows how it grows.")

    @Option(help: "[[workload]] tables in the small suite.")
    var small: Int = 10_000

    @Option(help: "[[workload]] tables in the large suite.")
    var large: Int = 100_000

    @Option(name: .customLong("reps"), help: "Measurements of each (interleaved).")
    var repetitions: Int = 3

    func validate() throws {
        guard small >= 1, large >= small else { throw ValidationError("--small must be at least 1 and --large at least --small") }
        guard repetitions >= 1 else { throw ValidationError("--reps must be at least 1") }
    }

    func run() throws {
        runBenchmark { progress in
            try SuiteParseBench.run(small: small, large: large, repetitions: repetitions, progress: progress).render()
        }
    }
}

/// A benchmark's run: its progress lines on standard error as they come, its table on
/// standard output at the end, an error as isoprobe's one line.
func runBenchmark(_ body: (_ progress: (String) -> Void) throws -> String) {
    Interruption.shared.install()
    do {
        let table = try body { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        print(table, terminator: "")
    } catch {
        fail(error)
    }
}
