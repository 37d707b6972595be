import Foundation
import IsoprobeCore
import Testing
@testable import VM

@Suite struct KernelLocatorTests {
    let release = "6.1.0-47-amd64"
    let banner = "6.1.0-47-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.123-1"

    /// A /boot and a cache under one temporary directory.
    struct Layout {
        let root: String
        var boot: String { root + "/boot" }
        var cache: String { root + "/cache/kernel" }
        func locator(explicit: String? = nil, host: String = "6.1.0-47-amd64") -> KernelLocator {
            KernelLocator(explicitPath: explicit, hostRelease: host, bootDirectory: boot, cacheDirectory: cache)
        }
    }

    func withLayout(_ body: (Layout) throws -> Void) throws {
        let root = try VMTestSupport.temporaryDirectory("locator")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/boot", withIntermediateDirectories: true)
        try body(Layout(root: root))
    }

    @Test func explicitPathWinsOverHostAndCache() throws {
        try withLayout { layout in
            try KernelImages.write(KernelImages.bzImage(banner: banner), to: layout.boot + "/vmlinuz-\(release)")
            try KernelImages.write(KernelImages.vmlinux(pvh: true), to: layout.cache + "/vmlinux-\(release)")
            let mine = layout.root + "/bzImage"
            try KernelImages.write(KernelImages.bzImage(banner: "6.9.0-custom #3 SMP"), to: mine)
            let kernel = try layout.locator(explicit: mine).locate()
            #expect(kernel == GuestKernel(path: mine, format: .bzImage, version: "6.9.0-custom"))
        }
    }

    @Test func hostKernelComesBeforeTheCache() throws {
        try withLayout { layout in
            try KernelImages.write(KernelImages.bzImage(banner: banner), to: layout.boot + "/vmlinuz-\(release)")
            try "CONFIG_PVH=y\n".write(toFile: layout.boot + "/config-\(release)", atomically: false, encoding: .utf8)
            try KernelImages.write(KernelImages.vmlinux(pvh: true), to: layout.cache + "/vmlinux-6.12.1-amd64")
            try "6.12.1-amd64\n".write(toFile: layout.cache + "/version", atomically: false, encoding: .utf8)
            let kernel = try layout.locator().locate()
            #expect(kernel == GuestKernel(path: layout.boot + "/vmlinuz-\(release)", format: .bzImage,
                                          version: release, configPath: layout.boot + "/config-\(release)"))
        }
    }

    /// The host's bzImage, but booted from the cache's vmlinux of the same release.
    @Test func hostKernelIsSwappedForTheCachedVmlinuxOfTheSameRelease() throws {
        try withLayout { layout in
            try KernelImages.write(KernelImages.bzImage(banner: banner), to: layout.boot + "/vmlinuz-\(release)")
            try "CONFIG_PVH=y\n".write(toFile: layout.boot + "/config-\(release)", atomically: false, encoding: .utf8)
            try KernelImages.write(KernelImages.vmlinux(pvh: true), to: layout.cache + "/vmlinux-\(release)")
            let kernel = try layout.locator().locate()
            #expect(kernel == GuestKernel(path: layout.cache + "/vmlinux-\(release)", format: .vmlinuxPVH,
                                          version: release, configPath: layout.boot + "/config-\(release)"))
        }
    }

    @Test func unreadableOrAbsentHostKernelFallsBackToTheCacheVmlinux() throws {
        try withLayout { layout in
            let version = "6.12.117+deb12-amd64"
            try KernelImages.write(KernelImages.bzImage(banner: "\(version) #1"), to: layout.cache + "/vmlinuz-\(version)")
            try KernelImages.write(KernelImages.vmlinux(pvh: true), to: layout.cache + "/vmlinux-\(version)")
            try "CONFIG_PVH=y\n".write(toFile: layout.cache + "/config-\(version)", atomically: false, encoding: .utf8)
            try "\(version)\n".write(toFile: layout.cache + "/version", atomically: false, encoding: .utf8)
            let kernel = try layout.locator(host: "6.18.44-other").locate()
            #expect(kernel == GuestKernel(path: layout.cache + "/vmlinux-\(version)", format: .vmlinuxPVH,
                                          version: version, configPath: layout.cache + "/config-\(version)"))
        }
    }

    @Test func cacheWithoutVmlinuxUsesItsVmlinuz() throws {
        try withLayout { layout in
            try KernelImages.write(KernelImages.bzImage(banner: banner), to: layout.cache + "/vmlinuz-\(release)")
            try "\(release)\n".write(toFile: layout.cache + "/version", atomically: false, encoding: .utf8)
            let kernel = try layout.locator(host: "6.18.44-other").locate()
            #expect(kernel.format == .bzImage)
            #expect(kernel.path == layout.cache + "/vmlinuz-\(release)")
        }
    }

    /// A vmlinux QEMU cannot enter (no PVH note) is passed over for the bzImage.
    @Test func cachedVmlinuxWithoutPVHNoteIsPassedOver() throws {
        try withLayout { layout in
            try KernelImages.write(KernelImages.vmlinux(pvh: false), to: layout.cache + "/vmlinux-\(release)")
            try KernelImages.write(KernelImages.bzImage(banner: banner), to: layout.cache + "/vmlinuz-\(release)")
            let kernel = try layout.locator(host: "other").locate()
            #expect(kernel.format == .bzImage)
        }
    }

    /// No `version` file: the newest release there, by numeric order (6.12 after 6.9).
    @Test func cacheWithoutVersionFileTakesTheNewestRelease() throws {
        try withLayout { layout in
            for version in ["6.9.0-1-amd64", "6.12.0-1-amd64", "6.1.0-47-amd64"] {
                try KernelImages.write(KernelImages.vmlinux(pvh: true), to: layout.cache + "/vmlinux-\(version)")
            }
            let kernel = try layout.locator(host: "other").locate()
            #expect(kernel.version == "6.12.0-1-amd64")
        }
    }

    @Test func nothingFoundIsOneLineNamingWhatWasTriedAndTheFix() throws {
        try withLayout { layout in
            let error = #expect(throws: IsoprobeError.self) { try layout.locator().locate() }
            let message = "\(error!)"
            #expect(error?.kind == .missing)
            #expect(!message.contains("\n"), "\(message)")
            #expect(message.contains(layout.boot + "/vmlinuz-\(release)"), "\(message)")
            #expect(message.contains(layout.cache), "\(message)")
            #expect(message.contains("make kernel"), "\(message)")
            #expect(message.contains("--kernel"), "\(message)")
        }
    }

    @Test func explicitPathThatIsMissingIsAUsageError() throws {
        try withLayout { layout in
            let error = #expect(throws: IsoprobeError.self) { try layout.locator(explicit: layout.root + "/nope").locate() }
            #expect(error?.kind == .usage)
            #expect("\(error!)".contains(layout.root + "/nope"))
        }
    }

    @Test func explicitFileThatIsNoKernelIsRefused() throws {
        try withLayout { layout in
            let path = layout.root + "/notes.txt"
            try "hello".write(toFile: path, atomically: false, encoding: .utf8)
            let error = #expect(throws: IsoprobeError.self) { try layout.locator(explicit: path).locate() }
            #expect("\(error!)".contains("neither a bzImage nor an ELF vmlinux"))
        }
    }

    @Test func explicitVmlinuxWithoutPVHNoteSaysToUseTheBzImage() throws {
        try withLayout { layout in
            let path = layout.root + "/vmlinux-\(release)"
            try KernelImages.write(KernelImages.vmlinux(pvh: false), to: path)
            let error = #expect(throws: IsoprobeError.self) { try layout.locator(explicit: path).locate() }
            #expect("\(error!)".contains("PVH"))
        }
    }

    /// A build tree's `vmlinux` does not name its release: the banner does.
    @Test func vmlinuxVersionComesFromItsBannerWhenTheNameDoesNotSay() throws {
        try withLayout { layout in
            let path = layout.root + "/vmlinux"
            try KernelImages.write(KernelImages.vmlinux(pvh: true, banner: "Linux version 6.13.0-rc1+ (me@box) #7 SMP\n"),
                                   to: path)
            #expect(try GuestKernel.inspect(path) == GuestKernel(path: path, format: .vmlinuxPVH, version: "6.13.0-rc1+"))
        }
    }

    @Test func bzImageHeaderVersion() throws {
        #expect(KernelImageHeader.parseBzImage([UInt8](KernelImages.bzImage(banner: banner))) == .bzImage(version: release))
        #expect(KernelImageHeader.parseBzImage([UInt8](KernelImages.bzImage(banner: nil))) == .bzImage(version: nil))
        #expect(KernelImageHeader.parseBzImage([UInt8](repeating: 0, count: 0x400)) == nil)
    }

    @Test func cacheDirectoryFollowsISOPROBE_CACHE() {
        #expect(KernelLocator.cacheDirectory(environment: [:]) == "/var/cache/isoprobe/kernel")
        #expect(KernelLocator.cacheDirectory(environment: ["ISOPROBE_CACHE": "/srv/c/"]) == "/srv/c/kernel")
        #expect(KernelLocator.cacheDirectory(environment: ["ISOPROBE_CACHE": ""]) == "/var/cache/isoprobe/kernel")
    }

    /// On a machine with `make kernel` done: the real files agree with each other.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: KernelLocator.cacheDirectory() + "/version")
                       || ProcessInfo.processInfo.environment["CI"] == "true",
                   "no kernel cache (make kernel)"))
    func fetchedKernelFilesAgree() throws {
        let cache = KernelLocator.cacheDirectory()
        try #require(FileManager.default.fileExists(atPath: cache + "/version"), "no kernel cache in \(cache): make kernel")
        let version = try String(contentsOfFile: cache + "/version", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let vmlinuz = try GuestKernel.inspect(cache + "/vmlinuz-" + version)
        #expect(vmlinuz.format == .bzImage)
        guard case let .bzImage(headerVersion) = try KernelImageHeader.read(vmlinuz.path) else {
            Issue.record("not a bzImage: \(vmlinuz.path)")
            return
        }
        #expect(headerVersion == version, "the header's version string names the file's release")
        let vmlinux = try GuestKernel.inspect(cache + "/vmlinux-" + version)
        #expect(vmlinux.format == .vmlinuxPVH)
        #expect(KernelImageHeader.bannerVersion(vmlinux.path) == version)
        #expect(vmlinux.configPath == cache + "/config-" + version)
        let located = try KernelLocator(hostRelease: "not-\(version)").locate()
        #expect(located == vmlinux)
    }
}
