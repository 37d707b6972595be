import Foundation
import IsoprobeCore

/// An empty ext4 filesystem in a sparse image file, for a guest's scratch disk. Made
/// without metadata checksums, which would need the guest to load a crc32c module too.
enum ScratchDisk {
    static func make(at path: String, mib: Int) throws -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0, ftruncate(fd, off_t(mib) << 20) == 0 else {
            if fd >= 0 { close(fd) }
            throw IsoprobeError(.failed, "cannot make the scratch disk image \(path)", cause: String(cString: strerror(errno)))
        }
        close(fd)
        guard let mkfs = tool("mkfs.ext4") else {
            throw IsoprobeError(.missing, "mkfs.ext4 is needed for the guest's scratch disk", fix: "apt-get install -y e2fsprogs")
        }
        // orphan_file (e2fsprogs 1.47) is unknown to kernels before 5.15 and to older mke2fs.
        for features in ["^metadata_csum,^orphan_file", "^metadata_csum"] {
            if run([mkfs, "-q", "-F", "-O", features, "-E", "lazy_itable_init=1,lazy_journal_init=1", path]) { return path }
        }
        throw IsoprobeError(.failed, "mkfs.ext4 could not format the scratch disk image \(path)")
    }

    static func tool(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ argv: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
