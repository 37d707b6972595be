import Container
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import OCI
import Probes
import VMEnvironment

/// One verify run of guest A in one environment: the host's canaries and guest B are
/// planted, A runs `boundaries check` under the host's probes, the host decides what only it
/// can see (the hostname), and everything is stopped and removed, on failure and Ctrl-C too.
public struct BoundaryVerification {
    public let resources: Resources
    /// The checker binary (`build/workloads/boundaries`).
    public let checker: String
    /// Cuts A's checks (a guest's boot comes on top).
    public var timeout: TimeInterval = 120
    /// The isoprobe binary that serves as the agent inside guests.
    public var agentBinary: String
    /// Whether guest A's bridge binds its ports where nftables' bridge family exists (the
    /// control's never does); false shows what a plain Linux bridge lets through.
    public var bindsPorts = true

    public init(resources: Resources, checker: String, agentBinary: String = Resources.executablePath) {
        self.resources = resources
        self.checker = checker
        self.agentBinary = agentBinary
    }

    /// A's checks judged by `profile`, the checks in `required` required of it (nil: what the
    /// profile requires, as for the control).
    public func verify(_ guest: VerifyTarget, profile: VerifyProfile, required: Set<String>? = nil) throws -> GuestVerification {
        let ids = CanaryIdentities.random()
        let workdir = try Self.makeWorkDirectory()
        defer { workdir.remove() }
        let host = HostIdentity.current()
        // The bridge first: the host's canary listens on its address there too. Only a guest
        // held to its profile gets bound ports; the control shows what a plain bridge allows.
        let membership = try guest.base.bridgeMembership()
        let bridge = membership == .none ? nil
            : try BridgeCanaries(checker: checker, tag: ids.netTag,
                                 bindPorts: bindsPorts && !profile.isControl && TestNetwork.bridgeFiltering.available)
        defer { bridge?.close() }
        let hostCanary = try HostCanary(checker: checker, canary: ids.host, directory: workdir.path,
                                        bridgeAddress: bridge?.hostAddress)
        defer { hostCanary.stop() }
        PausePoint.reached(.canaries)
        let params = CheckParameters.make(ids: ids, host: host, hostPid: hostCanary.pid,
                                          hostFile: try guest.base.checkerPath(ofHostFile: hostCanary.file),
                                          bridge: bridge?.checkParameters(peer: membership) ?? [])
        var seen = try runGuest(guest, ids: ids, params: params, bridge: bridge.map { ($0, membership) })
        let arrivals = bridge?.arrivals() ?? []
        if let bridge { seen.notes.append(bridge.note(membership)) }
        // A's hostname must not have reached the host; put it back if it did.
        if HostIdentity.currentHostname() == ids.hostnameProbe {
            seen.onHost = true
            _ = host.hostname.withCString { sethostname($0, strlen($0)) }
            seen.notes.append("A's hostname reached the host; the host's hostname was restored to \(host.hostname)")
        }
        // A checker cut short by Ctrl-C printed only part of its checks: that is the interruption's doing.
        try Interruption.shared.check()
        var observed = try CheckerOutput.parse(seen.output, requireAll: true).checks
        if let i = observed.firstIndex(where: { $0.id == "id.hostname" }) {
            observed[i] = ObservedCheck.hostname(checker: observed[i], probe: ids.hostnameProbe,
                                                 seenOnHost: seen.onHost, seenInPeer: seen.inPeer)
        }
        BridgeCanaries.judge(&observed, arrivals: arrivals, a: bridge?.endpoint(membership, host: BridgeCanaries.hostA),
                             b: bridge?.endpoint(membership, host: BridgeCanaries.hostB))
        return GuestVerification(environment: guest.name, profile: profile.name, isControl: profile.isControl,
                                 checks: try profile.evaluate(observed, requiring: required), observations: seen.observations,
                                 notes: seen.notes, configChanges: profile.isControl ? nil : seen.configChanges,
                                 bridge: bridge?.summary(membership))
    }

    struct GuestRunSeen {
        var output: String
        var observations: ProbeObservations
        var notes: [String]
        var configChanges: [ConfigChange]?
        var onHost = false
        var inPeer = false
    }

    /// A, under the host's probes, beside B in the same kind of environment. A guest's
    /// own kernel makes its capability checks, so there the capability probe sees only the VMM's.
    private func runGuest(_ guest: VerifyTarget, ids: CanaryIdentities, params: [(key: String, value: String)],
                          bridge: (canaries: BridgeCanaries, membership: BridgeMembership)?) throws -> GuestRunSeen {
        var checks = resources
        checks.workloadsDirectory = (checker as NSString).deletingLastPathComponent
        let runner = try Runner(resources: checks, agentBinary: agentBinary)
        defer { runner.close() }
        let onBridge = bridge?.membership == .own ? bridge?.canaries.network : nil
        let peer = try PeerGuest(guest, runner: runner, checker: checker, canary: ids.peer,
                                 bridge: bridge.map { $0.canaries.plantArguments(forB: $0.membership) } ?? []) { environment in
            if let onBridge { try guest.base.join(environment, to: onBridge, host: BridgeCanaries.hostB) }
        }
        var peerStopped = false
        defer { if !peerStopped { peer.stop() } }
        try peer.awaitReady()
        var request = RunRequest(environments: [guest.kind], workloads: [], repetitions: 1,
                                 probeFamilies: [.syscalls], timeout: timeout)
        request.options[guest.kind] = guest.base.checkerOptions(marker: nil)
        let environment = try runner.environment(guest.kind, request: request)
        if let onBridge { try guest.base.join(environment, to: onBridge, host: BridgeCanaries.hostA) }
        let spec = WorkloadSpec(name: (checker as NSString).lastPathComponent, parameters: params)
        let capabilities = CapabilityProbe(directory: resources.probesDirectory)
        defer { capabilities.close() }
        let measured = try runner.measure(spec, in: environment, repetition: 1, request: request,
                                          observers: [capabilities], keepOutput: true)
        let result = measured.result
        let inPeer = peer.pid.map { Self.hostname(ofProcess: $0) == ids.hostnameProbe } ?? false
        peerStopped = true
        var notes: [String] = []
        if let error = peer.stop(), !error.contains("signal") { notes.append("B: \(error)") }
        if !result.exit.succeeded { notes.append("the checker \(result.exit.description)") }
        if let why = capabilities.unavailable { notes.append(why) }
        var caps = try capabilities.collect()?.map {
            ProbeObservations.CapabilityCheck(capability: $0.capability, checks: $0.checks, refused: $0.refused)
        }
        if result.hostView != nil {
            notes.append("the guest's own kernel makes A's capability checks: the host's capability tracepoint does not see them")
            caps = nil
        }
        return GuestRunSeen(output: measured.output ?? "", observations: .from(result, capabilities: caps), notes: notes,
                            configChanges: guest.base.configChanges(in: environment), inPeer: inPeer)
    }

    /// The hostname in the UTS namespace of pid (nil when it cannot be read).
    static func hostname(ofProcess pid: pid_t) -> String? {
        guard let nsenter = HostTool.find("nsenter"),
              let result = try? HelperCommand.run([nsenter, "-t", String(pid), "-u", "cat", "/proc/sys/kernel/hostname"],
                                                  timeout: 5), result.succeeded else { return nil }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func makeWorkDirectory() throws -> OwnedDirectory {
        try OwnedDirectory(prefix: "isoprobe-verify", what: "a working directory")
    }
}
