import Agent
import AgentProtocol
import ArgumentParser
import Environments
import Foundation
import Host
import Harness
import Probes
import IsoprobeCore

/// Inside a guest the same binary is the agent: the guest's init runs `isoprobe agent --serve`.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Serve the host's run requests inside a guest (used by --env vm).",
        shouldDisplay: false)

    @Flag(name: .customLong("serve"), help: "Serve run requests until the host says power off.")
    var serve = false

    @Option(name: .customLong("channel"),
            help: "The channel to serve on: a device or socket path, or - for standard input and output (default: the agent port).")
    var channel: String?

    @Option(name: .customLong("misbehave"),
            help: ArgumentHelp("Test only: answer the first run request by breaking the protocol this way.", visibility: .hidden))
    var misbehave: Misbehaviour?

    @Option(name: .customLong("request"),
            help: ArgumentHelp("Test only: be the host's side instead, send this workload to an agent on --channel.", visibility: .hidden))
    var request: String?

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        if let request {
            return try AgentHostSide.run(request, channel: channel)
        }
        guard serve else {
            throw IsoprobeError(.usage, "agent: nothing to do", fix: "give --serve (the guest's init does)")
        }
        Interruption.shared.install()
        // The guest is thrown away whole: nothing it makes needs a record to outlive it.
        ResourceLedger.shared.disable()
        let input: Int32, output: Int32
        if channel == "-" {
            (input, output) = (0, 1)
        } else if let path = channel ?? AgentService.defaultChannelPath() {
            let fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY)
            guard fd >= 0 else {
                fail(IsoprobeError(.failed, "cannot open the agent channel \(path)", cause: ErrorWords.of(errno: errno)))
            }
            Self.makeRaw(fd)
            (input, output) = (fd, fd)
        } else {
            fail(IsoprobeError(.missing, "no agent channel: neither a virtio port nor a second serial port exists",
                               fix: "give --channel PATH"))
        }
        let writer = AgentChannel.Writer(fileDescriptor: output)
        let resources: Resources
        do {
            resources = try Resources.locate(probesDirectory: self.resources.probesDirectory)
        } catch {
            _ = try? writer.send(.error(AgentFailure(error)))
            _ = try? writer.send(.bye)
            fail(error)
        }
        let ok = AgentService(input: input, writer: writer, misbehaviour: misbehave).serve(resources: resources)
        if !ok { throw ExitCode(ExitStatus.workloadFailed.rawValue) }
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

extension Misbehaviour: ExpressibleByArgument {}

/// The host's side of the agent channel without a guest: the same client a VM run uses,
/// over standard input and output, so tests can put a misbehaving agent at the other end
/// and see what the host would hold and say. It reports on standard error: the result, or
/// the one error line, and the process's peak memory.
enum AgentHostSide {
    static func run(_ workload: String, channel: String?) throws {
        guard channel == "-" else {
            throw IsoprobeError(.usage, "agent --request talks over standard input and output only", fix: "give --channel -")
        }
        Interruption.shared.install()
        signal(SIGPIPE, SIG_IGN)
        defer { reportPeakMemory() }
        let client = AgentClient(input: 0, output: 1, check: { try Interruption.shared.check() })
        try client.awaitReady(until: .now + .seconds(60))
        let spec = try WorkloadSpec.parse(workload)
        let answer = try client.run(GuestRunRequest(workload: spec, argv: [], timeoutSeconds: 60, probes: [ProbeFamily.syscalls.rawValue]))
        client.powerOff()
        let json = try AgentMessage.jsonEncoder().encode(answer.result)
        FileHandle.standardError.write(Data("isoprobe: result: ".utf8) + json + Data("\n".utf8))
    }

    /// The high-water mark of this process's resident memory (VmHWM). Not getrusage's
    /// ru_maxrss, which keeps the peak of whatever process exec'd this one.
    static func reportPeakMemory() {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let kib = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.map(String.init) ?? "unknown"
        FileHandle.standardError.write(Data("isoprobe: peak memory \(kib) KiB\n".utf8))
    }
}
