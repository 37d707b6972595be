import Foundation
import IsoprobeCore
import Testing
@testable import VM

/// A guest's network card in QEMU's argv: the tap as an inherited descriptor, never a host
/// device name, and microvm's PCIe bus for the virtio-net card.
@Suite struct GuestNetworkCardTests {
    let kernel = GuestKernel(path: "/cache/vmlinux", format: .vmlinuxPVH, version: "6.12.117+deb12-amd64")

    func command(network: GuestNetworkCard?) -> QEMUCommand {
        var c = QEMUCommand(accelerator: .tcg, kernel: kernel, initramfs: "/tmp/w/i.cpio", tscKHz: nil,
                            console: .inheritedSocket(fd: 3))
        c.network = network
        return c
    }

    @Test func theTapIsHandedOverAsADescriptor() {
        let argv = command(network: GuestNetworkCard(tapFD: 12, vhost: false, guestAddress: "198.18.0.4/24")).argv
        #expect(argv.contains(sequence: ["-netdev", "tap,id=net0,fd=\(GuestNetworkCard.qemuDescriptor),vhost=off"]))
        #expect(argv.contains(sequence: ["-device", "virtio-net-pci,netdev=net0,mac=52:54:00:49:50:01"]))
        #expect(argv.contains(sequence: ["-M", "microvm,pcie=on"]), "virtio-net-pci needs microvm's PCIe bus")
        #expect(!argv.joined(separator: " ").contains("ifname="), "QEMU never opens a host device by name")
    }

    @Test func vhostNetWhenTheHostHasIt() {
        let argv = command(network: GuestNetworkCard(tapFD: 12, vhost: true, guestAddress: "198.18.0.4/24")).argv
        #expect(argv.contains(sequence: ["-netdev", "tap,id=net0,fd=\(GuestNetworkCard.qemuDescriptor),vhost=on"]))
    }

    @Test func noCardNoPCIe() {
        let argv = command(network: nil).argv
        #expect(!argv.contains("-netdev"))
        #expect(argv.contains(sequence: ["-M", "microvm"]))
    }

    /// The guest's /init turns IPv6 off before the card exists and adds no route but its /24's.
    @Test func theGuestScriptTurnsIPv6OffFirstAndAddsNoDefaultRoute() {
        let script = GuestNetworkCard(tapFD: 12, vhost: false, guestAddress: "198.18.7.4/24")
            .initScript(modulesDirectory: "/lib/modules/x")
        let ipv6 = try? #require(script.range(of: "conf/default/disable_ipv6"))
        let insmod = try? #require(script.range(of: "insmod"))
        #expect(ipv6 != nil && insmod != nil && ipv6!.lowerBound < insmod!.lowerBound)
        #expect(script.contains("ip addr add 198.18.7.4/24 dev eth0"))
        #expect(!script.contains("route add") && !script.contains("default via"))
    }
}
