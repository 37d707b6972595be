import Foundation
import Host
import IsoprobeCore

/// An empty ext4 filesystem in a sparse image file, for a guest's scratch disk. Made without
/// metadata checksums (less work per write in an emulated guest) and, where mke2fs has it,
/// without orphan_file, which guest kernels before 5.15 cannot mount.
public enum ScratchDisk {
    /// mkfs.ext4 on the host, which makes the image; without it guests get no scratch disk.
    public static var formatter: String? { HostTool.find("mkfs.ext4") }

    static func make(at path: String, mib: Int) throws -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0, ftruncate(fd, off_t(mib) << 20) == 0 else {
            if fd >= 0 { close(fd) }
            throw IsoprobeError(.failed, "cannot make the scratch disk image \(path)", cause: ErrorWords.of(errno: errno))
        }
        close(fd)
        guard let mkfs = formatter else {
            throw IsoprobeError(.missing, "mkfs.ext4 is needed for the guest's scratch disk", fix: "apt-get install -y e2fsprogs")
        }
        // orphan_file (e2fsprogs 1.47) is unknown to kernels before 5.15 and to older mke2fs.
        for features in ["^metadata_csum,^orphan_file", "^metadata_csum"] {
            if HostTool.output([mkfs, "-q", "-F", "-O", features, "-E", "lazy_itable_init=1,lazy_journal_init=1", path]) != nil { return path }
        }
        throw IsoprobeError(.failed, "mkfs.ext4 could not format the scratch disk image \(path)")
    }
}
