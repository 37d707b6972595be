import Foundation
import Host

/// What the checker compares its own view against: the host's kernel, names and namespaces.
struct HostIdentity {
    var bootID: String
    var kernel: String
    var hostname: String
    var interfaces: [String]
    var utsNamespace: String
    var netNamespace: String

    static func current() -> HostIdentity {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return HostIdentity(
            bootID: ProcFS.sys("kernel/random/boot_id") ?? "",
            kernel: release, hostname: currentHostname(),
            interfaces: ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []).sorted(),
            utsNamespace: ProcFS.namespace("uts") ?? "", netNamespace: ProcFS.namespace("net") ?? "")
    }

    static func currentHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(cString: buffer)
    }
}
