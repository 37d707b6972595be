import Foundation
import IsoprobeCore
import Testing
@testable import VM

/// A storage workload's disk: QEMU opens the file itself, O_DIRECT through Linux AIO; an
/// iothread only under KVM (TCG has no ioeventfd, which QEMU requires for one).
@Suite struct QEMUBlockDriveTests {
    @Test func tcgDriveOnPCIe() {
        let drive = QEMUBlockDrive(file: "/var/tmp/isoprobe-block-x/backing,1.img", accelerator: .tcg)
        #expect(drive.arguments(pci: true) == [
            "-drive", "id=isoprobe-block,file=/var/tmp/isoprobe-block-x/backing,,1.img,if=none,format=raw,cache=none,aio=native",
            "-device", "virtio-blk-pci,drive=isoprobe-block,serial=isoprobe-block",
        ])
        #expect(drive.path(backingBytes: 64 << 20, device: "/dev/vda").description
            == "virtio-blk /dev/vda, cache=none, aio=native, no iothread (it needs KVM's ioeventfd), 1 queue, 64 MiB backing")
    }

    @Test func kvmDriveGetsAnIothreadOnMMIO() {
        let drive = QEMUBlockDrive(file: "/b.img", accelerator: .kvm)
        #expect(drive.arguments(pci: false) == [
            "-object", "iothread,id=isoprobe-io0",
            "-drive", "id=isoprobe-block,file=/b.img,if=none,format=raw,cache=none,aio=native",
            "-device", "virtio-blk-device,drive=isoprobe-block,serial=isoprobe-block,iothread=isoprobe-io0",
        ])
    }
}
