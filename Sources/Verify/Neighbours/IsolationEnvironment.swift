import Container
import IsoprobeCore
import Environments
import VMEnvironment

/// Where verify's guests run: containers of one runtime, or QEMU guests. Guest A, its peer
/// B, the victim and its neighbours all run through the same environment protocol.
public enum IsolationEnvironment: Sendable {
    case container(ContainerEnvironment.Options)
    case vm(VMEnvironment.Options)

    public var kind: EnvironmentKind {
        switch self {
        case .container: return .container
        case .vm: return .vm
        }
    }

    public var name: String { kind.rawValue }

    /// The word a guest made with `options(marker: word)` carries on the host, in its
    /// processes' argv, for `HostProcesses`.
    func hostWord(for marker: String) -> String {
        switch self {
        case .container: return marker
        case .vm: return VMEnvironment.kernelArgument(marker: marker)
        }
    }

    /// The settings that make the environment; `marker` goes where the host can find the
    /// guest's processes by it (a guest's kernel command line; a container's argv carries it already).
    func options(marker: String? = nil, scratchDisk: Bool = true) -> any EnvironmentOptions {
        switch self {
        case .container(let options): return options
        case .vm(var options):
            options.marker = marker ?? options.marker
            options.scratchDisk = options.scratchDisk && scratchDisk
            return options
        }
    }
}
