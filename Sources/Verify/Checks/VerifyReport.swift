import Foundation
import Neighbours
import IsoprobeCore
import OCI

/// What the host's probes saw A do while the checks ran.
public struct ProbeObservations: Codable, Sendable, Equatable {
    public struct Refusal: Codable, Sendable, Equatable {
        public var syscall: String
        public var errno: String
        public var count: UInt64

        public init(syscall: String, errno: String, count: UInt64) {
            self.syscall = syscall
            self.errno = errno
            self.count = count
        }
    }

    /// A capability check the kernel made for A, from the capability tracepoint.
    public struct CapabilityCheck: Codable, Sendable, Equatable {
        public var capability: String
        public var checks: UInt64
        public var refused: UInt64

        public init(capability: String, checks: UInt64, refused: UInt64) {
            self.capability = capability
            self.checks = checks
            self.refused = refused
        }
    }

    /// Syscalls that failed with EPERM or EACCES, most frequent first.
    public var refusedSyscalls: [Refusal]
    public var totalSyscalls: UInt64
    /// nil when the capability probe could not attach (see `notes` of the guest).
    public var capabilities: [CapabilityCheck]?

    public init(refusedSyscalls: [Refusal] = [], totalSyscalls: UInt64 = 0, capabilities: [CapabilityCheck]? = nil) {
        self.refusedSyscalls = refusedSyscalls
        self.totalSyscalls = totalSyscalls
        self.capabilities = capabilities
    }

    public static func from(_ run: RunResult, capabilities: [CapabilityCheck]? = nil) -> ProbeObservations {
        let refusals = run.syscalls.flatMap { s in
            s.errnos.filter { ["EPERM", "EACCES"].contains($0.errno) }
                .map { Refusal(syscall: s.name, errno: $0.errno, count: $0.count) }
        }.sorted { ($0.count, $1.syscall) > ($1.count, $0.syscall) }
        return ProbeObservations(refusedSyscalls: refusals, totalSyscalls: run.totalSyscalls, capabilities: capabilities)
    }
}

/// Verify's bridge under one guest A: where it was, who had which address, and whether each
/// guest's port was bound to its MAC and address.
public struct BridgeSummary: Codable, Sendable, Equatable {
    public var bridge: String
    public var switchNamespace: String
    /// The peer, the far end every guest may reach.
    public var peerAddress: String
    /// The host's address on the bridge, where its canary listens.
    public var hostAddress: String
    /// A's and B's addresses there (the host's, for guests in the host's namespace).
    public var address: String
    public var otherAddress: String
    /// Each guest's port passed only its own MAC and address, IPv4 to the peer alone.
    public var portsBound: Bool
    /// What decides port binding here: "nftables bridge family", or why it is missing.
    public var filtering: String

    public init(bridge: String, switchNamespace: String, peerAddress: String, hostAddress: String, address: String,
                otherAddress: String, portsBound: Bool, filtering: String) {
        self.bridge = bridge
        self.switchNamespace = switchNamespace
        self.peerAddress = peerAddress
        self.hostAddress = hostAddress
        self.address = address
        self.otherAddress = otherAddress
        self.portsBound = portsBound
        self.filtering = filtering
    }
}

/// The checks from inside one guest A under one profile.
public struct GuestVerification: Codable, Sendable, Equatable {
    public var environment: String
    public var profile: String
    /// The control's role: it must fail, so the checks are shown able to fail.
    public var isControl: Bool
    public var checks: [CheckResult]
    public var observations: ProbeObservations
    /// What the host saw after A ran (a hostname that leaked, a probe that could not attach).
    public var notes: [String]
    /// What isoprobe changed in the user's config to run A and B in it, each with why; nil
    /// when the guests ran from isoprobe's own profile.
    public var configChanges: [ConfigChange]?
    /// The bridge A and B were on; nil when A was not on one.
    public var bridge: BridgeSummary?

    public init(environment: String, profile: String, isControl: Bool, checks: [CheckResult],
                observations: ProbeObservations = ProbeObservations(), notes: [String] = [],
                configChanges: [ConfigChange]? = nil, bridge: BridgeSummary? = nil) {
        self.environment = environment
        self.profile = profile
        self.isControl = isControl
        self.checks = checks
        self.observations = observations
        self.notes = notes
        self.configChanges = configChanges
        self.bridge = bridge
    }

    /// Boundaries the policy requires that are open.
    public var breaches: [CheckResult] { isControl ? [] : checks.filter(\.breach) }
    /// Boundaries the config closes that were open: escapes.
    public var contradictions: [CheckResult] { isControl ? [] : checks.filter(\.contradiction) }

    /// The checks a control had to fail and did not; empty when the control is valid.
    public var controlFailures: [String] { isControl ? checks.filter(\.controlMiss).map(\.id) : [] }

    /// Checks that make this guest's part of the run go wrong: required boundaries open and
    /// contradictions, or for a control the checks it did not fail.
    public var failing: [CheckResult] {
        isControl ? checks.filter(\.controlMiss) : checks.filter { $0.breach || $0.contradiction }
    }
}

/// Everything one `isoprobe verify` run found.
public struct VerifyReport: Codable, Sendable {
    public static let schemaName = "isoprobe.verify"
    /// Version 2: each check's class, the verdict policy, what isoprobe changed in a user's
    /// config. Version 3: the bridge checks and each guest's `bridge`, and the network
    /// neighbours' victim figures (docs/result-schema.md).
    public static let currentVersion = 3

    public var schema = VerifyReport.schemaName
    public var schemaVersion = VerifyReport.currentVersion
    public var isoprobeVersion = IsoprobeVersion.current
    public var createdAt: Date
    public var host: HostFacts?
    public var policy: PolicySummary
    public var guests: [GuestVerification]
    public var control: GuestVerification?
    public var performance: [PerformanceIsolationResult]?

    public init(createdAt: Date = Date(), host: HostFacts? = nil, policy: PolicySummary, guests: [GuestVerification],
                control: GuestVerification?, performance: [PerformanceIsolationResult]? = nil) {
        self.createdAt = createdAt
        self.host = host
        self.policy = policy
        self.guests = guests
        self.control = control
        self.performance = performance
    }

    /// A run without a control proves nothing about the checks' ability to fail.
    public var controlValid: Bool { control.map { $0.isControl && $0.controlFailures.isEmpty } ?? false }
    public var breaches: [CheckResult] { guests.flatMap(\.breaches) }
    public var contradictions: [CheckResult] { guests.flatMap(\.contradictions) }
    var everyGuest: [GuestVerification] { guests + (control.map { [$0] } ?? []) }

    /// Success when everything the policy requires held, nothing contradicted the config and
    /// the control failed as it must. An open required boundary or a contradiction is a
    /// failed verdict whatever the control did (a boundary seen open needs no proof that the
    /// checks can fail); otherwise a control that did not fail makes the run invalid.
    public var exitStatus: ExitStatus {
        if !breaches.isEmpty || !contradictions.isEmpty { return .verdictFailed }
        return controlValid ? .success : .invalidControl
    }

    public func jsonData() throws -> Data { try ResultDocument.encoder().encode(self) }

    public static func decode(_ data: Data) throws -> VerifyReport {
        try ResultDocument.decoder().decode(VerifyReport.self, from: data)
    }
}
