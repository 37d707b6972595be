/// The guest port the agent talks through, apart from the console the kernel also prints on
/// (AgentProtocol's `AgentChannel` frames the bytes that cross it). Two transports work on a
/// microvm; a second `-serial` does not (microvm makes one ISA serial port and ignores the rest).
public struct AgentPort: Equatable, Sendable {
    public enum Transport: String, Equatable, Sendable {
        /// A 16550 at the legacy COM2 address: the guest's /dev/ttyS1, with no modules in any
        /// x86 kernel and nothing added to boot time. Every byte is a port write: about
        /// 400 KB/s under TCG, one VM exit per byte under KVM. Set it raw (`stty raw -echo`),
        /// or the tty turns "\n" into "\r\n".
        case isaSerial
        /// A virtio-serial port on microvm's PCIe bus: /dev/vport0p1 named `portName`,
        /// hundreds of MB/s, 50 to 130 ms more boot under TCG. Needs CONFIG_VIRTIO_PCI and
        /// CONFIG_VIRTIO_CONSOLE built in (Debian 6.12: yes; 6.1: modules) or their modules loaded.
        case virtioSerial

        /// The device node the guest opens (devtmpfs mounted on /dev).
        public var guestDevice: String {
            switch self {
            case .isaSerial: return "/dev/ttyS1"
            case .virtioSerial: return "/dev/vport0p1"
            }
        }
    }

    public static let portName = "isoprobe.agent"

    public var transport: Transport
    public var endpoint: SerialEndpoint

    public init(transport: Transport, endpoint: SerialEndpoint) {
        self.transport = transport
        self.endpoint = endpoint
    }

    /// The device node the guest opens (devtmpfs mounted on /dev).
    public var guestDevice: String { transport.guestDevice }

    /// virtio-serial when the kernel's config shows both drivers built in, else the ISA port.
    public static func transport(for kernel: GuestKernel) -> Transport {
        guard let config = kernel.configPath.flatMap(KernelConfig.init(path:)) else { return .isaSerial }
        return config.isBuiltIn("CONFIG_VIRTIO_PCI") && config.isBuiltIn("CONFIG_VIRTIO_CONSOLE")
            ? .virtioSerial : .isaSerial
    }

    /// The QEMU arguments that add the port; the ISA port takes COM2's address and interrupt,
    /// where the guest's 8250 driver looks for ttyS1.
    func arguments() -> [String] {
        switch transport {
        case .isaSerial:
            return ["-chardev", endpoint.chardev(id: "agent"),
                    "-device", "isa-serial,chardev=agent,iobase=0x2f8,irq=3"]
        case .virtioSerial:
            return ["-device", "virtio-serial-pci,id=agentbus",
                    "-chardev", endpoint.chardev(id: "agent"),
                    "-device", "virtserialport,bus=agentbus.0,chardev=agent,name=\(Self.portName)"]
        }
    }
}
