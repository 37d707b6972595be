import AgentProtocol
import Environments
import Foundation
import Harness
import IsoprobeCore
import Probes

/// isoprobe's side inside a guest: serves the host's run requests over the agent channel
/// until told to power off. Each run is measured as a native run in the guest's own kernel
/// (a fresh cgroup, fresh probes, a fresh scratch directory) by the same rules as on the
/// host, and its result goes back as checksummed frames. While a run is under way the
/// agent sends a heartbeat every second, so the host can tell a long workload from a hung
/// guest. A failure goes back as an `error` message carrying the error a native run would print.
public final class AgentService {
    let writer: AgentChannel.Writer
    let input: Int32
    let misbehaviour: Misbehaviour?

    /// `input` is where requests come from, the writer where answers go (one descriptor
    /// for both on a serial port). A `misbehaviour` answers the request of a plan's first
    /// repetition (tests only): a plan then shows its later runs going on in a fresh guest.
    public init(input: Int32, writer: AgentChannel.Writer, misbehaviour: Misbehaviour? = nil) {
        self.input = input
        self.writer = writer
        self.misbehaviour = misbehaviour
    }

    /// Serves runs until `poweroff` or the end of the channel; true when every run succeeded.
    @discardableResult
    public func serve(resources: Resources) -> Bool {
        FileHandle.standardError.write(Data((AgentMessage.consoleReadyLine + "\n").utf8))
        var succeeded = true
        do {
            let hierarchy = try CgroupHierarchy.detect()
            let facts = HostFacts.current(cgroupLayout: hierarchy.layout.rawValue)
            try writer.send(.hello(AgentHello(guest: facts, probes: [])))
            try writer.send(.ready)
            // The guest's /init names the host's block disk, when the plan has one.
            let native = NativeEnvironment(hierarchy: hierarchy,
                                           givenBlockDevice: ProcessInfo.processInfo.environment[BlockDeviceNeed.environmentVariable])
            var reader = AgentChannel.Reader()
            try reader.read(fileDescriptor: input) { event in
                switch event {
                case .message(.runRequest(let request)) where misbehaviour != nil && request.repetition == 1:
                    misbehaviour?.perform(on: writer.fileDescriptor)
                    succeeded = false
                    return false
                case .message(.runRequest(let request)):
                    if !serveOne(request, in: native, resources: resources) { succeeded = false }
                    try writer.send(.ready)
                    return true
                case .message(.poweroff):
                    return false
                default:
                    return true
                }
            }
        } catch {
            succeeded = false
            _ = try? writer.send(.error(AgentFailure(error)))
        }
        _ = try? writer.send(.bye)
        return succeeded
    }

    /// One run: its output when asked, then its result (or the error).
    func serveOne(_ request: GuestRunRequest, in native: NativeEnvironment, resources: Resources) -> Bool {
        let heartbeat = Heartbeat(writer: writer)
        defer { heartbeat.stop() }
        do {
            let families = try request.probes.map { name -> ProbeFamily in
                guard let family = ProbeFamily(rawValue: name) else {
                    throw IsoprobeError(.usage, "run request: unknown probe family '\(name)'")
                }
                return family
            }
            let spec = try request.workloadSpec()
            let argv = request.argv.isEmpty ? try WorkloadCatalog(directory: resources.workloadsDirectory).argv(for: spec)
                : request.argv
            let invocation = WorkloadInvocation(spec: spec, argv: argv,
                                                environment: request.environment.isEmpty ? Runner.workloadEnvironment() : request.environment,
                                                timeout: request.timeoutSeconds)
            // A network workload: the network probe in this (the guest's) kernel too.
            let networkProbe = request.networkSubnet.map {
                NetworkProbe(directory: resources.probesDirectory, subnet: $0, kernel: "guest")
            }
            defer { networkProbe?.close() }
            var measured = try native.measure(MeasureRequest(
                invocation: invocation, repetition: request.repetition,
                probes: .init(directory: resources.probesDirectory, families: families),
                observers: networkProbe.map { [$0] } ?? [], keepOutput: request.returnOutput == true))
            if let networkProbe { measured.result.guestNetworkProbes = try? networkProbe.collect() }
            heartbeat.stop()
            if let output = measured.output { try writer.send(.output(output)) }
            try writer.send(.result(measured.result))
            return measured.result.exit.succeeded
        } catch {
            heartbeat.stop()
            _ = try? writer.send(.error(AgentFailure(error)))
            return false
        }
    }

    /// The agent's channel inside a guest: the virtio port the host named, else the second
    /// serial port. nil when neither exists.
    public static func defaultChannelPath() -> String? {
        ["/dev/virtio-ports/isoprobe.agent", "/dev/vport0p1", "/dev/vport1p1", "/dev/ttyS1"]
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}

/// A `heartbeat` message every `AgentMessage.heartbeatInterval` on a thread of its own,
/// until stopped.
final class Heartbeat: @unchecked Sendable {
    private let stopped = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var isStopped = false

    init(writer: AgentChannel.Writer) {
        let thread = Thread { [self] in
            while stopped.wait(timeout: .now() + AgentMessage.heartbeatInterval) == .timedOut {
                _ = try? writer.send(.heartbeat)
            }
            done.signal()
        }
        thread.start()
    }

    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { isStopped = true }
            return !isStopped
        }
        guard first else { return }
        stopped.signal()
        done.wait()
    }
}
