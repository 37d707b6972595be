import AgentProtocol
import Container
import Environments
import Foundation
import GuestImage
import Harness
import IsoprobeCore
import KVM
import Probes
import VMEnvironment

/// One verify run of guest A in one environment: the host's canaries and guest B are
/// planted, A runs `boundaries check` under the host's probes, the host decides what only it
/// can see (the hostname), and everything is stopped and removed, on failure and Ctrl-C too.
public struct BoundaryVerification {
    public enum Guest {
        case container(ContainerEnvironment.Options)
        case vm(VMEnvironment.Options, AccelRequest)

        var name: String {
            if case .vm = self { return "vm" }
            return "container"
        }
    }

    public let resources: Resources
    /// The checker binary (`build/workloads/boundaries`).
    public let checker: String
    /// Cuts A's checks (a guest's boot comes on top).
    public var timeout: TimeInterval = 120
    /// The isoprobe binary that serves as the agent inside guests.
    public var agentBinary: String

    public init(resources: Resources, checker: String, agentBinary: String = Resources.executablePath) {
        self.resources = resources
        self.checker = checker
        self.agentBinary = agentBinary
    }

    public func verify(_ guest: Guest, profile: VerifyProfile) throws -> GuestVerification {
        let ids = CanaryIdentities.random()
        let workdir = try Self.makeWorkDirectory()
        defer { try? FileManager.default.removeItem(atPath: workdir) }
        let host = HostIdentity.current()
        let hostCanary = try HostCanary(checker: checker, canary: ids.host, directory: workdir)
        defer { hostCanary.stop() }
        let params = CheckParameters.make(ids: ids, host: host, hostPid: hostCanary.pid, hostFile: hostCanary.file)
        var seen: GuestRunSeen
        switch guest {
        case .container(let options):
            seen = try runContainer(options, ids: ids, params: params)
        case .vm(let options, let accel):
            seen = try runVM(options, accel: accel, ids: ids, params: params)
        }
        // A's hostname must not have reached the host; put it back if it did.
        if HostIdentity.currentHostname() == ids.hostnameProbe {
            seen.onHost = true
            _ = host.hostname.withCString { sethostname($0, strlen($0)) }
            seen.notes.append("A's hostname reached the host; the host's hostname was restored to \(host.hostname)")
        }
        // A checker cut short by Ctrl-C printed only part of its checks: that is the interruption's doing.
        if let sig = Interruption.shared.signal { throw IsoprobeError(.interrupted, "interrupted by signal \(sig)") }
        var observed = try CheckerOutput.parse(seen.output, requireAll: true).checks
        if let i = observed.firstIndex(where: { $0.id == "id.hostname" }) {
            observed[i] = ObservedCheck.hostname(checker: observed[i], probe: ids.hostnameProbe,
                                                 seenOnHost: seen.onHost, seenInPeer: seen.inPeer)
        }
        return GuestVerification(environment: guest.name, profile: profile.name, isControl: profile.isControl,
                                 checks: try profile.evaluate(observed), observations: seen.observations,
                                 notes: seen.notes)
    }

    struct GuestRunSeen {
        var output: String
        var observations: ProbeObservations
        var notes: [String]
        var onHost = false
        var inPeer = false
    }

    private func runContainer(_ options: ContainerEnvironment.Options, ids: CanaryIdentities,
                              params: [(key: String, value: String)]) throws -> GuestRunSeen {
        var checks = resources
        checks.workloadsDirectory = (checker as NSString).deletingLastPathComponent
        let runner = try Runner(resources: checks)
        defer { runner.close() }
        let peer = try PeerGuest(container: options, hierarchy: runner.hierarchy, checker: checker, canary: ids.peer)
        var peerStopped = false
        defer { if !peerStopped { peer.stop() } }
        try peer.awaitReady()
        let environment = try ContainerEnvironment(options: options, hierarchy: runner.hierarchy)
        defer { environment.close() }
        let spec = WorkloadSpec(name: (checker as NSString).lastPathComponent, parameters: params)
        let request = RunRequest(environments: ["container"], workloads: [spec], repetitions: 1,
                                 probeFamilies: [.syscalls], timeout: timeout)
        let capabilities = CapabilityProbe(directory: resources.probesDirectory)
        defer { capabilities.close() }
        let (result, output) = try runner.runOnceKeepingOutput(spec, in: environment, repetition: 1, request: request,
                                                               observers: [capabilities])
        let inPeer = peer.pid.map { Self.hostname(ofProcess: $0) == ids.hostnameProbe } ?? false
        peerStopped = true
        var notes: [String] = []
        if let error = peer.stop(), !error.contains("signal") { notes.append("B: \(error)") }
        if !result.exit.succeeded { notes.append("the checker \(result.exit.description)") }
        if let why = capabilities.unavailable { notes.append(why) }
        let caps = try capabilities.collect()?.map {
            ProbeObservations.CapabilityCheck(capability: $0.capability, checks: $0.checks, refused: $0.refused)
        }
        return GuestRunSeen(output: output, observations: .from(result, capabilities: caps), notes: notes, inPeer: inPeer)
    }

    private func runVM(_ options: VMEnvironment.Options, accel: AccelRequest, ids: CanaryIdentities,
                       params: [(key: String, value: String)]) throws -> GuestRunSeen {
        var options = options
        options.accelerator = try AccelChoice.resolve(requested: accel) == .kvm ? .kvm : .tcg
        options.bootTimeout = 60 + timeout
        options.scratchDisk = false
        let hierarchy = try CgroupHierarchy.detect()
        let peer = try PeerGuest(vm: options, agentBinary: agentBinary,
                                 probesDirectory: resources.probesDirectory, checker: checker, canary: ids.peer)
        defer { peer.stop() }
        try peer.awaitReady()
        let environment = try VMEnvironment(options: options, agentBinary: agentBinary,
                                            probesDirectory: resources.probesDirectory)
        // The agent sends the checker's verdict lines back with its measurements.
        let guestChecker = GuestLayout.workloadsDirectory + "/" + (checker as NSString).lastPathComponent
        let argv = [guestChecker, "check"] + params.map { "\($0.key)=\($0.value)" }
        let request = AgentProtocol.RunRequest(spec: "boundaries check", isCommand: true, argv: argv,
                                               timeoutSeconds: timeout, probes: [ProbeFamily.syscalls.rawValue],
                                               repetition: 1, count: 1, returnOutput: true)
        let marker = try request.kernelCommandLineParameter()
        let token = Interruption.shared.onInterrupt { HostProcesses.kill(carrying: marker) }
        defer { Interruption.shared.remove(token) }
        let session = ProbeSession(settings: .init(directory: resources.probesDirectory, families: [.syscalls]))
        defer { session.close() }
        let run = try environment.run(request, workloadBinary: checker, host: (observer: session, hierarchy: hierarchy))
        if let failure = run.failure { throw IsoprobeError(.failed, "in guest A: \(failure.message)") }
        var notes = ["the guest's own kernel makes A's capability checks: the host's capability tracepoint does not see them"]
        if run.results.first == nil { notes.append("guest A returned no measurement (\(run.outcome.end))") }
        if run.output == nil { notes.append("guest A returned no checker output (\(run.outcome.end))") }
        let observations = run.results.first.map { ProbeObservations.from($0) } ?? ProbeObservations()
        return GuestRunSeen(output: run.output ?? "", observations: observations, notes: notes)
    }

    /// The hostname in the UTS namespace of pid (nil when it cannot be read).
    static func hostname(ofProcess pid: pid_t) -> String? {
        guard let nsenter = ChildProcess.resolve("nsenter"),
              let result = try? HelperCommand.run([nsenter, "-t", String(pid), "-u", "cat", "/proc/sys/kernel/hostname"],
                                                  timeout: 5), result.succeeded else { return nil }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func makeWorkDirectory() throws -> String {
        guard let made = TemporaryDirectory.make(prefix: "isoprobe-verify") else {
            throw IsoprobeError(.failed, "cannot create a working directory in \(TemporaryDirectory.base)",
                                cause: String(cString: strerror(errno)))
        }
        return made
    }
}
