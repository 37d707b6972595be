import Foundation
import GuestImage
import Host
import Testing
@testable import VM

/// What the environment offers these tests. Tests that boot a guest need QEMU, a kernel and a
/// static busybox: on a developer machine they are skipped with a one-line reason when one is
/// missing; in CI (CI=true) they run and fail, because a skip there would hide them.
enum VMTestSupport {
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static var qemu: String? { HostTool.find(QEMUCommand.defaultExecutable) }
    static var kernel: GuestKernel? { try? KernelLocator().locate() }
    static var staticBusybox: Bool { (try? ELFFile(path: "/bin/busybox"))?.isStatic == true }
    static var canBoot: Bool { qemu != nil && kernel != nil && staticBusybox }
    static var bootSkipReason: Comment {
        if qemu == nil { return "qemu-system-x86_64 not found (apt-get install qemu-system-x86)" }
        if kernel == nil { return "no guest kernel (make kernel)" }
        return "no static /bin/busybox (apt-get install busybox-static)"
    }

    /// A fresh directory, removed by the caller.
    static func temporaryDirectory(_ stem: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let path = "\(base)/vm-test-\(stem)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func seconds(_ duration: Duration?) -> String {
        guard let duration else { return "-" }
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.3f s", value)
    }

    /// Processes whose command line mentions `token` (a boot's unique work directory).
    static func processes(mentioning token: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
            let line = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
            return line.contains(token) ? "\(pid): \(line)" : nil
        }
    }

    static func processExists(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }
}
