import Foundation
import IsoprobeCore

/// Finds the kernel a guest boots, in this order:
///
/// 1. an explicit path (`--kernel PATH`), used as given;
/// 2. the host's own kernel, `/boot/vmlinuz-$(uname -r)`, when readable: the guest then runs
///    the kernel the native and container runs ran on;
/// 3. isoprobe's cache (`make kernel`): `$ISOPROBE_CACHE/kernel`, default
///    `/var/cache/isoprobe/kernel`, the release named by its `version` file.
///
/// A bzImage found in 2 or 3 is swapped for `vmlinux-<same version>` from the cache when that
/// is there: the same kernel, booted PVH-style without its decompressor.
public struct KernelLocator: Sendable {
    public static let defaultCacheRoot = "/var/cache/isoprobe"

    public var explicitPath: String?
    /// The host's release (`uname -r`).
    public var hostRelease: String
    public var bootDirectory: String
    public var cacheDirectory: String

    public init(explicitPath: String? = nil, hostRelease: String = KernelLocator.hostRelease(),
                bootDirectory: String = "/boot",
                cacheDirectory: String = KernelLocator.cacheDirectory()) {
        self.explicitPath = explicitPath
        self.hostRelease = hostRelease
        self.bootDirectory = bootDirectory
        self.cacheDirectory = cacheDirectory
    }

    /// `$ISOPROBE_CACHE/kernel`, where scripts/fetch-kernel.sh puts its files.
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let root = environment["ISOPROBE_CACHE"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultCacheRoot
        return (root.hasSuffix("/") ? String(root.dropLast()) : root) + "/kernel"
    }

    public static func hostRelease() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "" }
        return withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    public func locate() throws -> GuestKernel {
        if let explicitPath {
            guard FileManager.default.isReadableFile(atPath: explicitPath) else {
                throw IsoprobeError(.usage, "--kernel \(explicitPath): no such readable file",
                                    fix: "give a vmlinuz or vmlinux path, or leave --kernel out to use the host's or `make kernel`'s")
            }
            return try GuestKernel.inspect(explicitPath)
        }
        var tried: [String] = []
        let hostKernel = bootDirectory + "/vmlinuz-" + hostRelease
        if !hostRelease.isEmpty, FileManager.default.isReadableFile(atPath: hostKernel) {
            return try preferPVH(GuestKernel.inspect(hostKernel))
        }
        tried.append("\(hostKernel) (\(FileManager.default.fileExists(atPath: hostKernel) ? "not readable" : "absent"))")

        if let cached = try cachedKernel(tried: &tried) { return cached }
        throw IsoprobeError(.missing, "no kernel for the guest: tried " + tried.joined(separator: ", "),
                            fix: "run `make kernel` (or scripts/fetch-kernel.sh), or pass --kernel PATH")
    }

    /// The release named by `version`, else the newest `vmlinu[xz]-*` there.
    private func cachedKernel(tried: inout [String]) throws -> GuestKernel? {
        let versionFile = cacheDirectory + "/version"
        var releases: [String] = []
        if let text = try? String(contentsOfFile: versionFile, encoding: .utf8) {
            let release = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !release.isEmpty { releases.append(release) }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory)) ?? []
        let found = Set(names.compactMap {
            GuestKernel.versionFromName($0, prefix: "vmlinuz-") ?? GuestKernel.versionFromName($0, prefix: "vmlinux-")
        }).filter { !$0.hasSuffix(".tmp") }
        releases += found.sorted { $0.compare($1, options: .numeric) == .orderedDescending }
        for release in releases {
            for (name, format) in [("vmlinux-", GuestKernel.Format.vmlinuxPVH), ("vmlinuz-", .bzImage)] {
                let path = cacheDirectory + "/" + name + release
                guard FileManager.default.isReadableFile(atPath: path),
                      let kernel = try? GuestKernel.inspect(path), kernel.format == format else { continue }
                return kernel
            }
        }
        tried.append(releases.isEmpty ? "\(cacheDirectory) (no kernel there)"
                                      : "\(cacheDirectory) (no usable vmlinux or vmlinuz for \(releases.joined(separator: ", ")))")
        return nil
    }

    private func preferPVH(_ kernel: GuestKernel) -> GuestKernel {
        guard kernel.format == .bzImage else { return kernel }
        let path = cacheDirectory + "/vmlinux-" + kernel.version
        guard FileManager.default.isReadableFile(atPath: path),
              var vmlinux = try? GuestKernel.inspect(path), vmlinux.format == .vmlinuxPVH,
              vmlinux.version == kernel.version else { return kernel }
        vmlinux.configPath = vmlinux.configPath ?? kernel.configPath
        return vmlinux
    }
}
