/// A guest's network card: a virtio-net device behind a tap that isoprobe made and opened,
/// handed to QEMU as a descriptor (QEMU needs no privilege, and never names a host device).
/// vhost-net moves the card's queues into the host kernel where /dev/vhost-net exists.
public struct GuestNetworkCard: Equatable, Sendable {
    /// isoprobe's descriptor of the tap (at least 10: see `QEMUProcess.highDescriptor`).
    public var tapFD: Int32
    public var vhost: Bool
    /// A locally administered address (QEMU's own prefix 52:54:00).
    public var mac: String
    /// The guest's address and prefix, set by its /init.
    public var guestAddress: String

    /// The descriptor number QEMU sees the tap as.
    public static let qemuDescriptor: Int32 = 9

    public init(tapFD: Int32, vhost: Bool, mac: String = "52:54:00:49:50:01", guestAddress: String) {
        self.tapFD = tapFD
        self.vhost = vhost
        self.mac = mac
        self.guestAddress = guestAddress
    }

    /// QEMU's arguments: the tap as `net0` and a virtio-net card on it (PCI: microvm then
    /// needs its PCIe bus).
    public static func arguments(vhost: Bool, mac: String) -> [String] {
        ["-netdev", "tap,id=net0,fd=\(qemuDescriptor),vhost=\(vhost ? "on" : "off")",
         "-device", "virtio-net-pci,netdev=net0,mac=\(mac)"]
    }

    /// The guest kernel's modules for the card (those built in are dropped when resolved).
    public static let modules = ["virtio_pci", "virtio_net"]

    /// /init lines that load the card's modules from `directory` and give eth0 its address,
    /// IPv6 off first (so nothing is sent to ff02::), no default route.
    public func initScript(modulesDirectory directory: String) -> String {
        """
        echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null
        echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null
        for m in \(directory)/*.ko; do [ -e "$m" ] && insmod "$m" 2>/dev/null; done
        ip link set lo up
        for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/class/net/eth0 ] && break; sleep 0.05; done
        ip addr add \(guestAddress) dev eth0 && ip link set eth0 up \
          || echo 'isoprobe: the guest network card did not come up'
        """
    }
}
