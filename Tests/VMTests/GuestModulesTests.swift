import Foundation
import Testing
@testable import VM

/// The scratch disk's modules, resolved from the guest kernel's modules directory on the
/// host: dependencies first, unpacked, without their signatures.
@Suite struct GuestModulesTests {
    @Test func dependsIsReadFromTheModinfoStrings() {
        var module = Data("\u{7F}ELF...".utf8)
        module.append(contentsOf: [0])
        module.append(Data("license=GPL\u{0}depends=jbd2,crc16,mb-cache\u{0}intree=Y\u{0}".utf8))
        #expect(GuestModules.dependencies(of: module) == ["jbd2", "crc16", "mb_cache"])
        // Not an entry of its own: "xdepends=" inside another string.
        #expect(GuestModules.dependencies(of: Data("\u{0}author=xdepends=a\u{0}".utf8)).isEmpty)
    }

    @Test func anAppendedSignatureIsCutOff() {
        let body = Data("\u{7F}ELF module body".utf8)
        let signature = Data(repeating: 0xAB, count: 300)
        var info = Data(repeating: 0, count: 8)
        info.append(contentsOf: [0, 0, 0x01, 0x2C]) // 300, big-endian
        let signed = body + signature + info + Data("~Module signature appended~\n".utf8)
        #expect(GuestModules.withoutSignature(signed) == body)
        #expect(GuestModules.withoutSignature(body) == body, "an unsigned module is left as it is")
    }

    @Test(.enabled(if: VMTestSupport.kernel?.modulesDirectory != nil || VMTestSupport.inCI, "no guest kernel modules (make kernel)"))
    func ext4AndItsDependenciesInLoadOrder() throws {
        let kernel = try #require(VMTestSupport.kernel, "no guest kernel (make kernel)")
        let resolved = try GuestModules.resolve(["virtio_blk", "ext4", "crc32c_generic"], for: kernel)
        let names = resolved.modules.map(\.name)
        #expect(Set(names).count == names.count, "each module once: \(names)")
        if let ext4 = names.firstIndex(of: "ext4") {
            for dependency in ["jbd2", "mbcache"] {
                let at = try #require(names.firstIndex(of: dependency), "\(dependency) missing: \(names)")
                #expect(at < ext4, "\(dependency) must load before ext4: \(names)")
            }
        }
        for module in resolved.modules {
            #expect(module.contents.prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]), "\(module.name) is not an unpacked ELF")
            #expect(!module.contents.suffix(28).elementsEqual(Data("~Module signature appended~\n".utf8)), "\(module.name) still signed")
        }
        #expect(throws: Error.self) { try GuestModules.resolve(["no_such_module_here"], for: kernel) }
    }
}
