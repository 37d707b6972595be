import AgentProtocol
import ArgumentParser
import Environments
import Foundation
import Harness
import IsoprobeCore

/// Inside a guest the same binary is the agent: the guest's init runs `isoprobe agent`.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the host's request inside a guest and send the results back (used by --env vm).",
        shouldDisplay: false)

    @Option(name: .customLong("request-token"), help: "The run request (default: isoprobe.run= from /proc/cmdline).")
    var requestToken: String?

    @Option(name: .customLong("channel"), help: "Where to write frames (default: the agent port, else standard output).")
    var channel: String?

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        Interruption.shared.install()
        let request: AgentProtocol.RunRequest
        do {
            request = try requestToken.map { try AgentProtocol.RunRequest(kernelCommandLineToken: $0) }
                ?? AgentService.requestFromKernelCommandLine()
        } catch {
            fail(error)
        }
        let fd: Int32
        if let path = channel ?? AgentService.defaultChannelPath() {
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0o644)
            guard fd >= 0 else {
                fail(IsoprobeError(.failed, "cannot open the agent channel \(path)", cause: String(cString: strerror(errno))))
            }
            Self.makeRaw(fd)
        } else {
            fd = 1
        }
        let writer = AgentChannel.Writer(fileDescriptor: fd)
        let resources: Resources
        do {
            resources = try Resources.locate(probesDirectory: self.resources.probesDirectory)
        } catch {
            _ = try? writer.send(.error(AgentFailure(error)))
            _ = try? writer.send(.bye)
            fail(error)
        }
        let ok = AgentService(writer: writer).serve(request, resources: resources)
        if fd != 1 { close(fd) }
        if !ok { throw ExitCode(4) }
    }

    /// A serial port would turn "\n" into "\r\n" and echo: frames go through unchanged.
    static func makeRaw(_ fd: Int32) {
        guard isatty(fd) == 1 else { return }
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else { return }
        cfmakeraw(&t)
        tcsetattr(fd, TCSANOW, &t)
    }
}
