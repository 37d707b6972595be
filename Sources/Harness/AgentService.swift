import AgentProtocol
import Environments
import Foundation
import IsoprobeCore
import Probes

/// isoprobe's side inside a guest: takes the host's run request, runs it like a native
/// run in the guest's own kernel (its probes, a cgroup of its own), and sends every
/// result back over the agent channel as checksummed frames, then `bye`. The host sees
/// a failure as an `error` message carrying the same error a native run would print.
public final class AgentService {
    let writer: AgentChannel.Writer

    public init(writer: AgentChannel.Writer) {
        self.writer = writer
    }

    /// The request the host put on the kernel command line (`isoprobe.run=`).
    public static func requestFromKernelCommandLine(_ path: String = "/proc/cmdline") throws -> AgentProtocol.RunRequest {
        let line = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard let request = try AgentProtocol.RunRequest.fromKernelCommandLine(line) else {
            throw IsoprobeError(.usage, "no run request: \(path) has no isoprobe.run= parameter",
                                fix: "the host passes one when it boots the guest; or give --request-token")
        }
        return request
    }

    /// Serves one request; true when every run succeeded.
    @discardableResult
    public func serve(_ request: AgentProtocol.RunRequest, resources: Resources) -> Bool {
        FileHandle.standardError.write(Data((AgentMessage.consoleReadyLine + "\n").utf8))
        var succeeded = true
        do {
            let runner = try Runner(resources: resources)
            let facts = HostFacts.current(cgroupLayout: runner.hierarchy.layout.rawValue)
            _ = try writer.send(.hello(AgentHello(guest: facts, probes: [])))
            let spec = try request.workloadSpec()
            let families = try request.probes.map { name -> ProbeFamily in
                guard let family = ProbeFamily(rawValue: name) else {
                    throw IsoprobeError(.usage, "run request: unknown probe family '\(name)'")
                }
                return family
            }
            let local = Harness.RunRequest(environments: ["native"], workloads: [spec],
                                           repetitions: max(request.count, 1), probeFamilies: families,
                                           timeout: request.timeoutSeconds)
            if request.returnOutput == true {
                // One run, its standard output first, then its result.
                let (result, output) = try runner.runOnceKeepingOutput(
                    spec, in: NativeEnvironment(hierarchy: runner.hierarchy), repetition: request.repetition, request: local)
                if !result.exit.succeeded { succeeded = false }
                _ = try? writer.send(.output(output))
                _ = try? writer.send(.result(result))
            } else {
                try runner.run(local) { result in
                    var result = result
                    result.repetition = request.repetition + result.repetition - 1
                    if !result.exit.succeeded { succeeded = false }
                    _ = try? writer.send(.result(result))
                }
            }
        } catch {
            succeeded = false
            _ = try? writer.send(.error(AgentFailure(error)))
        }
        _ = try? writer.send(.bye)
        return succeeded
    }

    /// The agent's channel inside a guest: the virtio port the host named, else the second
    /// serial port. nil when neither exists (then the caller uses standard output).
    public static func defaultChannelPath() -> String? {
        ["/dev/virtio-ports/isoprobe.agent", "/dev/vport0p1", "/dev/vport1p1", "/dev/ttyS1"]
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}
