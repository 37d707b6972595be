import Container
import Environments
import Foundation
import Host
import IsoprobeCore
import Neighbours
import OCI
import VMEnvironment

/// What boundary checks need of an environment beyond what performance isolation does:
/// the profile guest A is judged by, and how to tell that guest B is ready.
protocol BoundaryKind: IsolationKind {
    func profile() throws -> VerifyProfile
    /// The profile `--policy hardened` holds guests of this kind to.
    func hardenedProfile() -> VerifyProfile
    /// What isoprobe changed in a user's config to run a guest in `environment`; nil when the
    /// guest ran from isoprobe's own profile.
    func configChanges(in environment: Environment) -> [ConfigChange]?
    /// Where A finds a host file: where a bind mount of its config shows it, else the host's path.
    func checkerPath(ofHostFile path: String) throws -> String
    /// Until B has planted its canaries (or as near as the host can tell); B's planter's
    /// pid on the host when the host can see it.
    func awaitPeer(_ run: NeighbourRun, canary: CanaryIdentities.Canary, timeout: TimeInterval) throws -> pid_t?
    /// How guests of this kind sit on verify's bridge.
    func bridgeMembership() throws -> BridgeMembership
    /// Puts a guest's environment on `network` as host number `host` (`.own` members only).
    func join(_ environment: Environment, to network: TestNetwork, host: Int) throws
}

/// Where verify's guests run: containers of one runtime, or QEMU guests.
public struct VerifyTarget: Sendable {
    let base: any BoundaryKind

    public static func container(_ options: ContainerEnvironment.Options) -> VerifyTarget {
        VerifyTarget(base: ContainerIsolation(options: options))
    }

    public static func vm(_ options: VMEnvironment.Options) -> VerifyTarget {
        VerifyTarget(base: VMIsolation(options: options))
    }

    public var kind: EnvironmentKind { base.kind }
    public var name: String { kind.rawValue }
    /// The same environment for performance isolation.
    public var isolation: IsolationEnvironment { IsolationEnvironment(base: base) }
}

extension ContainerIsolation: BoundaryKind {
    func profile() throws -> VerifyProfile {
        let kernel = KernelSettings.current()
        if let path = options.ociConfigPath {
            return .container(try ContainerEnvironment.loadUserConfig(path), name: "oci-config", kernel: kernel,
                              layout: .current())
        }
        let userNamespace = options.userNamespace ?? ["runc", "crun"].contains((options.runtime as NSString).lastPathComponent)
        return .containerDefault(userNamespace: userNamespace, kernel: kernel)
    }

    /// The hardened container without a user namespace: the profile adds one only where
    /// asked, so what holds with it alone (root in A being the host's root) is not required.
    func hardenedProfile() -> VerifyProfile {
        .containerDefault(userNamespace: false, kernel: KernelSettings.current())
    }

    func configChanges(in environment: Environment) -> [ConfigChange]? {
        guard options.ociConfigPath != nil, let container = environment as? ContainerEnvironment else { return nil }
        return container.userConfigChanges
    }

    func checkerPath(ofHostFile path: String) throws -> String {
        guard let config = options.ociConfigPath else { return path }
        return try Spec.load(from: config).containerPath(ofHostPath: path, hostMountPoints: ProcFS.mountPoints()) ?? path
    }

    /// B's planter process is found on the host by its marker; it is ready once it holds its
    /// loopback listener, the last canary it plants. Nothing in B's filesystem is needed, so
    /// a read-only root without a writable /tmp works as the config has it.
    func awaitPeer(_ run: NeighbourRun, canary: CanaryIdentities.Canary, timeout: TimeInterval) throws -> pid_t? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            try Interruption.shared.check()
            if run.isFinished { throw PeerGuest.failure(run, "B ended before its canaries were planted") }
            for pid in HostProcesses.carrying(canary.marker) where ProcFS.listensOnLoopback(pid: pid, port: canary.port) {
                return pid
            }
            usleep(20_000)
        }
        throw PeerGuest.failure(run, "B did not plant its canaries within \(Int(timeout)) s")
    }
}

extension ContainerIsolation {
    /// A container with a network namespace of its own is plugged into the bridge as a
    /// bridged container is for network workloads; one in the host's namespace has the
    /// host's address there.
    func bridgeMembership() throws -> BridgeMembership {
        guard let path = options.ociConfigPath else { return .own }
        switch OCIConfigSummary(try Spec.load(from: path)).namespaces[.network] ?? .shared {
        case .private: return .own
        case .shared: return .host
        case .joined: return .none
        }
    }

    func join(_ environment: Environment, to network: TestNetwork, host: Int) throws {
        guard let container = environment as? ContainerEnvironment else { return }
        try container.attach(to: network, host: host)
    }
}

extension VMIsolation: BoundaryKind {
    /// Each guest gets a tap of its own on the bridge, behind its virtio-net card.
    func bridgeMembership() throws -> BridgeMembership { .own }

    func join(_ environment: Environment, to network: TestNetwork, host: Int) throws {
        guard let guest = environment as? VMEnvironment else { return }
        try guest.attach(to: network, host: host)
    }

    func profile() throws -> VerifyProfile { .vm(kernel: KernelSettings.current()) }
    func hardenedProfile() -> VerifyProfile { .vm(kernel: KernelSettings.current()) }
    func configChanges(in environment: Environment) -> [ConfigChange]? { nil }
    func checkerPath(ofHostFile path: String) throws -> String { path }

    /// A guest's kernel is not the host's to look into: B's QEMU is running, then a bounded
    /// boot allowance.
    func awaitPeer(_ run: NeighbourRun, canary: CanaryIdentities.Canary, timeout: TimeInterval) throws -> pid_t? {
        try run.awaitRunning(leadMs: Self.bootAllowanceMs)
        if run.isFinished { throw PeerGuest.failure(run, "B ended before A ran") }
        return nil
    }
}
