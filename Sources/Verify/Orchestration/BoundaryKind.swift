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
    /// Until B has planted its canaries (or as near as the host can tell); B's planter's
    /// pid on the host when the host can see it.
    func awaitPeer(_ run: NeighbourRun, canary: CanaryIdentities.Canary, timeout: TimeInterval) throws -> pid_t?
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
            return .container(try ContainerEnvironment.loadUserConfig(path), name: "oci-config", kernel: kernel)
        }
        let userNamespace = options.userNamespace ?? ["runc", "crun"].contains((options.runtime as NSString).lastPathComponent)
        return .containerDefault(userNamespace: userNamespace, kernel: kernel)
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

extension VMIsolation: BoundaryKind {
    func profile() throws -> VerifyProfile { .vm }

    /// A guest's kernel is not the host's to look into: B's QEMU is running, then a bounded
    /// boot allowance.
    func awaitPeer(_ run: NeighbourRun, canary: CanaryIdentities.Canary, timeout: TimeInterval) throws -> pid_t? {
        try run.awaitRunning(leadMs: Self.bootAllowanceMs)
        if run.isFinished { throw PeerGuest.failure(run, "B ended before A ran") }
        return nil
    }
}
