/// A host folder the guest mounts over 9p (`mount -t 9p -o trans=virtio <tag> <dir>`):
/// a virtio-9p device on microvm's PCIe bus, QEMU's `local` backend. QEMU runs as root, so
/// `security_model=none` shows the guest the files' real owners and modes; read-only shares
/// are refused writes by QEMU itself, whatever the guest does. Files of several host
/// filesystems under one share get distinct inode numbers (`multidevs=remap`).
public struct HostShare: Equatable, Sendable {
    public var path: String
    /// What the guest mounts it by (at most 31 bytes, letters and digits).
    public var tag: String
    public var readOnly: Bool

    public init(path: String, tag: String, readOnly: Bool = true) {
        self.path = path
        self.tag = tag
        self.readOnly = readOnly
    }

    /// The guest kernel's modules a 9p mount needs, dependencies first (Debian builds them as modules).
    public static let guestModules = ["netfs", "9pnet", "9pnet_virtio", "9p"]

    func arguments(index: Int) -> [String] {
        let id = "share\(index)"
        let options = ["local", "id=\(id)", "path=\(QEMUCommand.escape(path))", "security_model=none", "multidevs=remap"]
            + (readOnly ? ["readonly=on"] : [])
        return ["-fsdev", options.joined(separator: ","),
                "-device", "virtio-9p-pci,fsdev=\(id),mount_tag=\(QEMUCommand.escape(tag))"]
    }
}
