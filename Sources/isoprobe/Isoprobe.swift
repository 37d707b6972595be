import ArgumentParser
import Foundation
import IsoprobeCore

@main
struct Isoprobe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isoprobe",
        abstract: "What does isolation cost, and does it hold? Measure one workload natively, in a container and in a VM with the same eBPF probes.",
        version: IsoprobeVersion.current,
        subcommands: [RunCommand.self, ProbesCommand.self, DoctorCommand.self, BenchCommand.self]
    )
}

/// Flags every subcommand that loads probes shares.
struct ResourceOptions: ParsableArguments {
    @Option(name: .customLong("probes-dir"), help: "Folder holding the compiled probes (*.bpf.o).")
    var probesDirectory: String?
}

/// Prints an isoprobe error as one line and exits with its code.
func fail(_ error: Error) -> Never {
    let line: String
    let code: Int32
    if let e = error as? IsoprobeError {
        line = e.description
        code = e.exitCode
    } else {
        line = "\(error)"
        code = 1
    }
    FileHandle.standardError.write(Data("isoprobe: \(line)\n".utf8))
    Foundation.exit(code)
}
