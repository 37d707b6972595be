import Foundation
import IsoprobeCore

/// A Linux kernel QEMU can boot directly, and how.
public struct GuestKernel: Equatable, Sendable {
    public enum Format: String, Equatable, Sendable {
        /// The uncompressed ELF (`vmlinux`) with a PVH entry note: QEMU jumps straight into
        /// the kernel, skipping the decompressor (most of a second under TCG).
        case vmlinuxPVH
        /// A bzImage (`vmlinuz`): the boot protocol's setup code, then the decompressor.
        case bzImage
    }

    public var path: String
    public var format: Format
    /// The release, as the guest's `uname -r` will print it.
    public var version: String
    /// The kernel's build configuration (`config-<version>` next to it), when there is one.
    public var configPath: String?

    public init(path: String, format: Format, version: String, configPath: String? = nil) {
        self.path = path
        self.format = format
        self.version = version
        self.configPath = configPath
    }

    /// Reads what `path` is: a bzImage (version from its header) or an ELF vmlinux with a PVH
    /// note (version from a `vmlinux-<version>` name, else from its `Linux version` banner).
    /// Anything else, or a vmlinux QEMU cannot enter, is an error naming the file.
    public static func inspect(_ path: String) throws -> GuestKernel {
        let header = try KernelImageHeader.read(path)
        let format: Format
        let version: String?
        switch header {
        case let .bzImage(headerVersion):
            format = .bzImage
            version = versionFromName(path, prefix: "vmlinuz-") ?? headerVersion
        case let .elf(hasPVHNote):
            guard hasPVHNote else {
                throw IsoprobeError(.missing, "\(path) has no PVH entry note, so QEMU cannot boot it directly",
                                    fix: "use the kernel's bzImage (vmlinuz) instead, or build with CONFIG_PVH=y")
            }
            format = .vmlinuxPVH
            version = versionFromName(path, prefix: "vmlinux-") ?? KernelImageHeader.bannerVersion(path)
        }
        guard let version, !version.isEmpty else {
            throw IsoprobeError(.failed, "cannot tell which kernel version \(path) is",
                                fix: "name it vmlinux-<version> or vmlinuz-<version>")
        }
        return GuestKernel(path: path, format: format, version: version, configPath: configNextTo(path, version: version))
    }

    /// `vmlinuz-6.1.0-47-amd64` names release 6.1.0-47-amd64.
    static func versionFromName(_ path: String, prefix: String) -> String? {
        let name = (path as NSString).lastPathComponent
        guard name.hasPrefix(prefix), name.count > prefix.count else { return nil }
        return String(name.dropFirst(prefix.count))
    }

    static func configNextTo(_ path: String, version: String) -> String? {
        let candidate = (path as NSString).deletingLastPathComponent + "/config-" + version
        return FileManager.default.isReadableFile(atPath: candidate) ? candidate : nil
    }
}
