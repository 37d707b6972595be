import Foundation

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
            bootID: ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines),
            kernel: release, hostname: currentHostname(),
            interfaces: ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []).sorted(),
            utsNamespace: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/uts")) ?? "",
            netNamespace: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")) ?? "")
    }

    static func currentHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(cString: buffer)
    }
}
