import Container
import Environments
import Foundation
import IsoprobeCore
import OCI
import VMEnvironment

/// What isolation checks need of an environment beyond measuring in it: how the host finds
/// a guest's processes, the settings of a checker's guests and of a noisy neighbour, and
/// the neighbour's limits. One conformance per kind of environment (`ContainerIsolation`,
/// `VMIsolation`); the code that uses them asks, never branches. Verify adds what boundary
/// checks need (its `BoundaryKind`).
public protocol IsolationKind: Sendable {
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
}

/// Where verify's guests run: containers of one runtime, or QEMU guests. Guest A, its peer
/// B, the victim and its neighbours all run through the same environment protocol.
public struct IsolationEnvironment: Sendable {
    public let base: any IsolationKind

    public init(base: any IsolationKind) { self.base = base }

    public static func container(_ options: ContainerEnvironment.Options) -> IsolationEnvironment {
        IsolationEnvironment(base: ContainerIsolation(options: options))
    }

    public static func vm(_ options: VMEnvironment.Options) -> IsolationEnvironment {
        IsolationEnvironment(base: VMIsolation(options: options))
    }

    public var kind: EnvironmentKind { base.kind }
    public var name: String { kind.rawValue }
    /// The settings as given: the victim's.
    public var options: any EnvironmentOptions { base.settings }
}

/// Containers: the host sees into them (their processes carry the marker in their argv,
/// their roots are under /proc/PID/root), and a neighbour gets cgroup limits.
public struct ContainerIsolation: IsolationKind {
    public let options: ContainerEnvironment.Options
    public init(options: ContainerEnvironment.Options) { self.options = options }
    public var kind: EnvironmentKind { .container }
    public var settings: any EnvironmentOptions { options }

    public func checkerOptions(marker: String?) -> any EnvironmentOptions { options }
    public func hostWord(for marker: String) -> String { marker }

    /// The hardened profile with the neighbour's own limits, whatever config the victim runs under.
    public func neighbourOptions(limits: ResourceLimits, marker: String) -> any EnvironmentOptions {
        ContainerEnvironment.Options(runtime: options.runtime, limits: limits, userNamespace: options.userNamespace)
    }

    public func memoryLimit(of limits: ResourceLimits) -> Int64? { limits.memoryBytes }
    public var neighbourNote: String? { nil }
}

/// QEMU guests: the host finds QEMU by a word on the guest kernel's command line, a guest's
/// memory is its neighbour's limit, and a guest's kernel is not the host's to look into.
public struct VMIsolation: IsolationKind {
    public let options: VMEnvironment.Options
    public init(options: VMEnvironment.Options) { self.options = options }
    public var kind: EnvironmentKind { .vm }
    public var settings: any EnvironmentOptions { options }

    /// The checker writes no files, and its block-device check would only find the guest's own disk.
    public func checkerOptions(marker: String?) -> any EnvironmentOptions {
        var o = options
        o.marker = marker ?? o.marker
        o.scratchDisk = false
        return o
    }

    public func hostWord(for marker: String) -> String { VMEnvironment.kernelArgument(marker: marker) }

    public func neighbourOptions(limits: ResourceLimits, marker: String) -> any EnvironmentOptions {
        var o = options
        o.marker = marker
        return o
    }

    public func memoryLimit(of limits: ResourceLimits) -> Int64? { Int64(options.memoryMiB) << 20 }

    public var neighbourNote: String? {
        "the neighbour is a second QEMU guest with its own vCPUs and memory: the isolation is the VMM's and the host scheduler's"
    }

    /// How long a guest B is given to plant its canaries once QEMU runs.
    public static let bootAllowanceMs = 8_000
}
