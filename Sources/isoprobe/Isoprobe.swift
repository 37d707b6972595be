import ArgumentParser
import Foundation
import IsoprobeCore
import OCI

@main
struct Isoprobe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isoprobe",
        abstract: "What does isolation cost, and does it hold? Measure one workload natively, in a container and in a VM with the same eBPF probes.",
        version: IsoprobeVersion.current,
        subcommands: [RunCommand.self, VerifyCommand.self, HistoryCommand.self, CompareCommand.self, ExportCommand.self, ProbesCommand.self, DoctorCommand.self, BenchCommand.self, AgentCommand.self]
    )

    /// Errors are one line (no usage block after it); bad input exits 2 like isoprobe's own
    /// usage errors. Help and version print in full.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("isoprobe: \(line)\n".utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
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
    } else if error is OCIConfigError {
        // A config.json the user gave: bad input.
        line = "\(error)"
        code = 2
    } else {
        line = "\(error)"
        code = 1
    }
    FileHandle.standardError.write(Data("isoprobe: \(line)\n".utf8))
    Foundation.exit(code)
}
