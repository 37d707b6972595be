import IsoprobeCore

/// A storage workload's disk: QEMU opens the backing file itself (no loop device on the
/// host), O_DIRECT (`cache=none`) through Linux AIO (`aio=native`), as a virtio-blk device
/// the guest finds by its serial. Under KVM it gets an iothread, so I/O is served beside the
/// vCPU rather than by QEMU's main loop; TCG cannot (an iothread needs ioeventfd, which
/// only KVM gives), and the block path says so.
public struct QEMUBlockDrive: Equatable, Sendable {
    /// The serial the guest sees in /sys/block/vdX/serial.
    public static let serial = "isoprobe-block"
    public var file: String
    public var aio: String
    public var iothread: Bool

    public init(file: String, accelerator: Accelerator, aio: String = "native") {
        self.file = file
        self.aio = aio
        iothread = accelerator == .kvm
    }

    /// On PCIe where the machine has it (as the scratch disk is; a guest kernel without
    /// virtio_mmio built in would not see an MMIO disk), else on virtio-mmio.
    public func arguments(pci: Bool) -> [String] {
        let id = "isoprobe-block"
        let device = pci ? "virtio-blk-pci" : "virtio-blk-device"
        return (iothread ? ["-object", "iothread,id=isoprobe-io0"] : [])
            + ["-drive", "id=\(id),file=\(QEMUCommand.escape(file)),if=none,format=raw,cache=none,aio=\(aio)"]
            + ["-device", "\(device),drive=\(id),serial=\(Self.serial)" + (iothread ? ",iothread=isoprobe-io0" : "")]
    }

    /// The path as a report names it (the guest's device is filled in by the guest).
    public func path(backingBytes: Int64, device: String) -> BlockPath {
        BlockPath(kind: "virtio-blk", device: device, backingBytes: backingBytes, cache: "none", aio: aio,
                  iothread: iothread, queues: 1)
    }
}
