import Foundation
import IsoprobeCore
import Testing
@testable import VM

/// A host folder shared over 9p: a virtio-9p device on microvm's PCIe bus, read-only when
/// asked, commas in its path doubled.
@Suite struct HostShareTests {
    let kernel = GuestKernel(path: "/cache/vmlinux-6.12.117+deb12-amd64", format: .vmlinuxPVH, version: "6.12.117+deb12-amd64")

    @Test func sharesTurnOnPCIeAndAddA9pDevice() {
        var c = QEMUCommand(accelerator: .tcg, kernel: kernel, initramfs: "/tmp/w/initramfs.cpio", tscKHz: nil,
                            console: .inheritedSocket(fd: 3))
        #expect(c.argv.contains(sequence: ["-M", "microvm"]))
        c.shares = [HostShare(path: "/", tag: "hostroot"), HostShare(path: "/srv/a,b", tag: "data", readOnly: false)]
        let argv = c.argv
        #expect(argv.contains(sequence: ["-M", "microvm,pcie=on"]))
        #expect(argv.contains(sequence: ["-fsdev", "local,id=share0,path=/,security_model=none,multidevs=remap,readonly=on",
                                         "-device", "virtio-9p-pci,fsdev=share0,mount_tag=hostroot"]))
        #expect(argv.contains(sequence: ["-fsdev", "local,id=share1,path=/srv/a,,b,security_model=none,multidevs=remap",
                                         "-device", "virtio-9p-pci,fsdev=share1,mount_tag=data"]))
    }
}
