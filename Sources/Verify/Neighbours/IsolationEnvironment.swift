import Container
import KVM
import VMEnvironment

/// Where the victim and its neighbour run: two containers of one runtime, or two QEMU guests.
public enum IsolationEnvironment: Sendable {
    case container(ContainerEnvironment.Options)
    case vm(VMEnvironment.Options, accel: AccelRequest)

    public var name: String {
        switch self {
        case .container: return "container"
        case .vm: return "vm"
        }
    }
}
