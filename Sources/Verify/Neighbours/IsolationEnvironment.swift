import Container
import Environments
import Foundation
import IsoprobeCore
import OCI
import VMEnvironment

/// What verify needs of an environment beyond measuring in it: how the host finds a guest's
/// processes, the settings of the checker's guests and of a noisy neighbour, the profile
/// guest A is judged by, and how to tell that guest B is ready. One conformance per kind of
/// environment (`ContainerIsolation`, `VMIsolation`); the rest of verify asks, never branches.
protocol IsolationKind: Sendable {
    var kind: EnvironmentKind { get }
    /// The settings as given: the victim's.
    var settings: any EnvironmentOptions { get }
    /// The settings of a checker's guest (A or B); `marker` goes where the host can find the
    /// guest's processes by `hostWord(for: marker)`.
    func checkerOptions(marker: String?) -> any EnvironmentOptions
    func hostWord(for marker: String) -> String
    /// A noisy neighbour's settings: its own limits where the environment takes them.
    func neighbourOptions(limits: ResourceLimits, marker: String) -> any EnvironmentOptions
    /// The memory a neighbour with `limits` can use at most.
    func memoryLimit(of limits: ResourceLimits) -> Int64?
    /// What the neighbour's isolation rests on, when it is worth saying.
    var neighbourNote: String? { get }
    /// The profile guest A is judged by.
    func profile() throws -> VerifyProfile
    /// Until B has planted its canaries (or as near as the host can tell); B's planter's
    /// pid on the host when the host can see it.
    func awaitPeer(_ run: NeighbourRun, canary: CanaryIdentities.Canary, timeout: TimeInterval) throws -> pid_t?
}

/// Where verify's guests run: containers of one runtime, or QEMU guests. Guest A, its peer
/// B, the victim and its neighbours all run through the same environment protocol.
public struct IsolationEnvironment: Sendable {
    let base: any IsolationKind

    public static func container(_ options: ContainerEnvironment.Options) -> IsolationEnvironment {
        IsolationEnvironment(base: ContainerIsolation(options: options))
    }

    public static func vm(_ options: VMEnvironment.Options) -> IsolationEnvironment {
        IsolationEnvironment(base: VMIsolation(options: options))
    }

    public var kind: EnvironmentKind { base.kind }
    public var name: String { kind.rawValue }
    /// The settings as given: the victim's.
    var options: any EnvironmentOptions { base.settings }
}

/// Containers: the host sees into them (their processes carry the marker in their argv,
/// their roots are under /proc/PID/root), and a neighbour gets cgroup limits.
struct ContainerIsolation: IsolationKind {
    let options: ContainerEnvironment.Options
    var kind: EnvironmentKind { .container }
    var settings: any EnvironmentOptions { options }

    func checkerOptions(marker: String?) -> any EnvironmentOptions { options }
    func hostWord(for marker: String) -> String { marker }

    /// The hardened profile with the neighbour's own limits, whatever config the victim runs under.
    func neighbourOptions(limits: ResourceLimits, marker: String) -> any EnvironmentOptions {
        ContainerEnvironment.Options(runtime: options.runtime, limits: limits, userNamespace: options.userNamespace)
    }

    func memoryLimit(of limits: ResourceLimits) -> Int64? { limits.memoryBytes }
    var neighbourNote: String? { nil }

    func profile() throws -> VerifyProfile {
        let kernel = KernelSettings.current()
        if let path = options.ociConfigPath {
            return .container(try Spec.load(from: path), name: "oci-config", kernel: kernel)
        }
        let userNamespace = options.userNamespace ?? ["runc", "crun"].contains((options.runtime as NSString).lastPathComponent)
        return .containerDefault(userNamespace: userNamespace, kernel: kernel)
    }

    /// B's planter process is found on the host by its marker, and its ready file in its root.
    func awaitPeer(_ run: NeighbourRun, canary: CanaryIdentities.Canary, timeout: TimeInterval) throws -> pid_t? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let sig = Interruption.shared.signal { throw IsoprobeError(.interrupted, "interrupted by signal \(sig)") }
            if run.isFinished { throw PeerGuest.failure(run, "B ended before its canaries were planted") }
            for pid in HostProcesses.carrying(canary.marker)
            where access("/proc/\(pid)/root/tmp/isoprobe-canary-\(canary.tag).ready", F_OK) == 0 {
                return pid
            }
            usleep(20_000)
        }
        throw PeerGuest.failure(run, "B did not plant its canaries within \(Int(timeout)) s")
    }
}

/// QEMU guests: the host finds QEMU by a word on the guest kernel's command line, a guest's
/// memory is its neighbour's limit, and a guest's kernel is not the host's to look into.
struct VMIsolation: IsolationKind {
    let options: VMEnvironment.Options
    var kind: EnvironmentKind { .vm }
    var settings: any EnvironmentOptions { options }

    /// The checker writes no files, and its block-device check would only find the guest's own disk.
    func checkerOptions(marker: String?) -> any EnvironmentOptions {
        var o = options
        o.marker = marker ?? o.marker
        o.scratchDisk = false
        return o
    }

    func hostWord(for marker: String) -> String { VMEnvironment.kernelArgument(marker: marker) }

    func neighbourOptions(limits: ResourceLimits, marker: String) -> any EnvironmentOptions {
        var o = options
        o.marker = marker
        return o
    }

    func memoryLimit(of limits: ResourceLimits) -> Int64? { Int64(options.memoryMiB) << 20 }

    var neighbourNote: String? {
        "the neighbour is a second QEMU guest with its own vCPUs and memory: the isolation is the VMM's and the host scheduler's"
    }

    func profile() throws -> VerifyProfile { .vm }

    /// B's QEMU is running, then a bounded boot allowance.
    func awaitPeer(_ run: NeighbourRun, canary: CanaryIdentities.Canary, timeout: TimeInterval) throws -> pid_t? {
        try run.awaitRunning(leadMs: Self.bootAllowanceMs)
        if run.isFinished { throw PeerGuest.failure(run, "B ended before A ran") }
        return nil
    }

    static let bootAllowanceMs = 8_000
}
