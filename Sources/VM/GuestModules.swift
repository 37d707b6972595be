import Foundation
import GuestImage
import Host
import IsoprobeCore

/// Kernel modules a guest loads at boot, resolved on the host from the guest kernel's
/// modules directory with their dependencies, dependencies first, and shipped
/// uncompressed in the initramfs (busybox insmod reads plain .ko files).
public struct GuestModules: Sendable {
    public struct Module: Sendable, Equatable {
        public var name: String
        public var contents: Data
    }

    /// In load order.
    public var modules: [Module]

    /// Where the guest's /init finds them, numbered in load order.
    public static let guestDirectory = "/lib/modules/isoprobe"

    /// Resolves `names` for `kernel`; modules built into it are left out. Throws naming the
    /// first module (or dependency) that cannot be found or read.
    public static func resolve(_ names: [String], for kernel: GuestKernel) throws -> GuestModules {
        let builtIn = builtInModules(kernel)
        let wanted = names.map(normalize).filter { !builtIn.contains($0) }
        if wanted.isEmpty { return GuestModules(modules: []) }
        guard let directory = kernel.modulesDirectory else {
            throw IsoprobeError(.missing, "no modules directory for guest kernel \(kernel.version) (wanted \(wanted.joined(separator: ", ")))",
                                fix: "`make kernel` keeps them beside the cached kernel; else install them in /lib/modules/\(kernel.version)")
        }
        let files = moduleFiles(in: directory)
        var ordered: [Module] = []
        var visiting: Set<String> = []
        func visit(_ name: String) throws {
            guard !builtIn.contains(name), !ordered.contains(where: { $0.name == name }), !visiting.contains(name) else { return }
            visiting.insert(name)
            guard let path = files[name] else {
                throw IsoprobeError(.missing, "guest kernel module \(name) not found in \(directory)")
            }
            let contents = withoutSignature(try decompress(path))
            for dependency in dependencies(of: contents) { try visit(dependency) }
            ordered.append(Module(name: name, contents: contents))
        }
        for name in wanted { try visit(name) }
        return GuestModules(modules: ordered)
    }

    /// Adds the modules to a guest root as `<guestDirectory>/NN-name.ko`.
    public func add(to root: inout FileSet) throws {
        guard !modules.isEmpty else { return }
        try root.addDirectory(at: "/lib/modules")
        try root.addDirectory(at: Self.guestDirectory)
        for (i, module) in modules.enumerated() {
            try root.addFile(at: Self.guestDirectory + String(format: "/%02d-", i) + module.name + ".ko", contents: module.contents)
        }
    }

    /// Module names compare with `-` and `_` alike, as the kernel's do.
    static func normalize(_ name: String) -> String { name.replacingOccurrences(of: "-", with: "_") }

    /// `modules.builtin` in the modules directory, else the `=y` options of the config that
    /// the two wanted here correspond to.
    static func builtInModules(_ kernel: GuestKernel) -> Set<String> {
        if let dir = kernel.modulesDirectory,
           let text = try? String(contentsOfFile: dir + "/modules.builtin", encoding: .utf8) {
            return Set(text.split(separator: "\n").map { line in
                normalize(String((line as Substring).split(separator: "/").last ?? line).replacingOccurrences(of: ".ko", with: ""))
            })
        }
        guard let config = kernel.configPath.flatMap(KernelConfig.init(path:)) else { return [] }
        var builtIn: Set<String> = []
        if config.isBuiltIn("CONFIG_VIRTIO_BLK") { builtIn.insert("virtio_blk") }
        if config.isBuiltIn("CONFIG_EXT4_FS") { builtIn.insert("ext4") }
        return builtIn
    }

    /// Every `*.ko[.xz|.zst|.gz]` under the directory, by module name.
    static func moduleFiles(in directory: String) -> [String: String] {
        var found: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return found }
        for case let relative as String in walker {
            let file = (relative as NSString).lastPathComponent
            guard let range = file.range(of: ".ko"), [".ko", ".ko.xz", ".ko.zst", ".ko.gz"].contains(String(file[range.lowerBound...]))
            else { continue }
            found[normalize(String(file[..<range.lowerBound])), default: directory + "/" + relative] = directory + "/" + relative
        }
        return found
    }

    /// The module's `depends=` entry from its .modinfo strings.
    static func dependencies(of module: Data) -> [String] {
        let key = Data("depends=".utf8)
        var from = module.startIndex
        while let r = module.range(of: key, in: from..<module.endIndex) {
            from = r.upperBound
            // A modinfo entry starts after a NUL (or at the section's start).
            guard r.lowerBound == module.startIndex || module[r.lowerBound - 1] == 0 else { continue }
            let end = module[r.upperBound...].firstIndex(of: 0) ?? module.endIndex
            return String(decoding: module[r.upperBound..<end], as: UTF8.self)
                .split(separator: ",").map { normalize(String($0)) }.filter { !$0.isEmpty }
        }
        return []
    }

    /// The module without its appended signature. The guest kernel would check it (a
    /// SHA-512 over the whole module, most of ext4's load time under TCG) and, lacking
    /// `module.sig_enforce`, loads an unsigned module all the same.
    static func withoutSignature(_ module: Data) -> Data {
        let magic = Data("~Module signature appended~\n".utf8)
        let info = 12 // struct module_signature; its last 4 bytes: the signature's length, big-endian
        guard module.count > magic.count + info, module.suffix(magic.count) == magic else { return module }
        let lengthEnd = module.endIndex - magic.count
        let length = module[(lengthEnd - 4)..<lengthEnd].reduce(0) { $0 << 8 | Int($1) }
        let end = lengthEnd - info - length
        guard end > module.startIndex else { return module }
        return module[module.startIndex..<end]
    }

    static func decompress(_ path: String) throws -> Data {
        let tool: String?
        if path.hasSuffix(".xz") { tool = "xz" } else if path.hasSuffix(".zst") { tool = "zstd" } else if path.hasSuffix(".gz") { tool = "gzip" } else { tool = nil }
        guard let tool else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw IsoprobeError(.failed, "cannot read \(path)")
            }
            return data
        }
        guard let executable = HostTool.find(tool) else {
            throw IsoprobeError(.missing, "\(tool) is needed to unpack \(path)", fix: "install it (`make deps`)")
        }
        // An unpacked module can be several MiB: room for it whole.
        guard let data = HostTool.output([executable, "-dc", path], stdoutLimit: 64 << 20), !data.isEmpty else {
            throw IsoprobeError(.failed, "\(tool) could not unpack \(path)")
        }
        return data
    }
}

extension GuestKernel {
    /// The kernel's modules: `modules-<version>` beside it (isoprobe's cache), else
    /// /lib/modules/<version>.
    public var modulesDirectory: String? {
        var isDirectory: ObjCBool = false
        for candidate in [(path as NSString).deletingLastPathComponent + "/modules-" + version, "/lib/modules/" + version]
        where FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) && isDirectory.boolValue {
            return candidate
        }
        return nil
    }
}
