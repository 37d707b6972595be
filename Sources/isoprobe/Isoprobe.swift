import ArgumentParser
import Environments
import Foundation
import Host
import IsoprobeCore
import OCI

@main
struct Isoprobe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isoprobe",
        abstract: "What does isolation cost, and does it hold? Measure one workload natively, in a container and in a VM with the same eBPF probes.",
        version: IsoprobeVersion.current,
        subcommands: [RunCommand.self, VerifyCommand.self, HistoryCommand.self, CompareCommand.self, ExportCommand.self, ProbesCommand.self, DoctorCommand.self, CleanupCommand.self, BenchCommand.self, HostPathsCommand.self, AgentCommand.self]
    )

    /// Errors are one line (no usage block after it); bad input exits 2 like isoprobe's own
    /// usage errors. Help and version print in full.
    static func main() {
        // A peer that went away (a guest's QEMU, a closed pipe) is an EPIPE to handle where
        // it is written, not a silent death. Every child gets SIGPIPE back at its default
        // (HelperCommand, QEMUProcess and the workload launcher reset it).
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
            StandardOutput.exit(0)
        } catch let code as ExitCode {
            StandardOutput.exit(code.rawValue)
        } catch let error as IsoprobeError {
            fail(error)
        } catch let error as OCIConfigError {
            fail(error)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                StandardOutput.exit(0)
            }
            let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("isoprobe: \(flagFirst(line))\n".utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// The argument parser's "The value 'x' is invalid for '--flag <v>'. Please provide one of
/// ..." as isoprobe words its own errors: the flag first, then what is wrong and what it takes.
func flagFirst(_ line: String) -> String {
    let pattern = #/^The value '(?<value>.*)' is invalid for '(?<flag>--[a-z0-9-]+)[^']*'(?::[^.]*)?\.(?: Please provide (?<expected>.*?)\.?)?$/#
    guard let m = line.wholeMatch(of: pattern) else { return line }
    guard var expected = m.expected.map(String.init) else { return "\(m.flag): '\(m.value)' is not valid" }
    expected = expected.replacingOccurrences(of: "' and '", with: "' or '")
    if m.value.contains(","), expected.hasPrefix("one of ") {
        expected = "a comma-separated list, each once, of " + expected.dropFirst("one of ".count)
    }
    return "\(m.flag): '\(m.value)' is not valid; expected \(expected)"
}

/// Flags every subcommand that loads probes shares.
struct ResourceOptions: ParsableArguments {
    @Option(name: .customLong("probes-dir"), help: "Folder holding the compiled probes (*.bpf.o).")
    var probesDirectory: String?
}

/// Standard output as `print` writes it, through stdio's buffer: a write that failed (a full
/// disk, a closed pipe) is a failure said once, not a silent exit 0.
enum StandardOutput {
    /// Flushes what is buffered and exits with `code`; with 1 and one line on standard error
    /// when some of the output could not be written (a non-zero code is kept).
    static func exit(_ code: Int32) -> Never {
        errno = 0
        let flushed = fflush(stdout) == 0
        let err = errno
        if !flushed || ferror(stdout) != 0 {
            // The reason is known only when the last write failed (earlier ones set the flag).
            let reason = flushed || err == 0 ? "" : ": " + ErrorWords.of(errno: err)
            FileHandle.standardError.write(Data(("isoprobe: cannot write standard output\(reason) "
                + "(send it to a file or a pipe that takes all of it)\n").utf8))
            Foundation.exit(code == 0 ? ExitStatus.failed.rawValue : code)
        }
        Foundation.exit(code)
    }
}

/// The one way out on an error of isoprobe's own (the argument parser's go through
/// `main`): one line, and the exit code its kind means (`ExitStatus`).
func fail(_ error: Error) -> Never {
    let line: String
    let code: Int32
    if let sig = Interruption.shared.signal, (error as? IsoprobeError)?.kind != .interrupted {
        // Whatever failed once a signal arrived failed because of it: the interruption is the news.
        line = "\(Interruption.error(sig).message): \(ErrorWords.of(error))"
        code = ExitStatus.interrupted.rawValue
    } else if let e = error as? IsoprobeError {
        line = e.description
        code = e.exitCode
    } else if error is OCIConfigError {
        // A config.json the user gave: bad input.
        line = "\(error)"
        code = ExitStatus.usage.rawValue
    } else {
        line = ErrorWords.of(error)
        code = ExitStatus.failed.rawValue
    }
    FileHandle.standardError.write(Data("isoprobe: \(line)\n".utf8))
    Foundation.exit(code)
}
