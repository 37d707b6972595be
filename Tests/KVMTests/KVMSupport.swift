import Foundation
import Testing

/// What the KVM tests need. Tests that run a real guest carry
/// `.enabled(if: KVMSupport.devKVMUsable || KVMSupport.inCI, ...)`: skipped with a one-line
/// reason on a machine without a read-write /dev/kvm, run in CI (`CI=true`), where
/// `requireDevKVM` turns a missing /dev/kvm into a failure instead of a silent skip.
enum KVMSupport {
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    static var devKVMUsable: Bool { access("/dev/kvm", R_OK | W_OK) == 0 }
    static let skipReason: Comment = "no read-write /dev/kvm here (no kvm module, or not root / not in the kvm group)"

    static func requireDevKVM(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(FileManager.default.fileExists(atPath: "/dev/kvm"),
                     "/dev/kvm is missing: load kvm_intel/kvm_amd (or kvm_pvm) on the CI machine",
                     sourceLocation: sourceLocation)
        try #require(devKVMUsable, "/dev/kvm is not read-write for euid \(geteuid()): run the tests as root",
                     sourceLocation: sourceLocation)
    }

    static func module(_ name: String) -> Bool { FileManager.default.fileExists(atPath: "/sys/module/" + name) }

    /// This process's open /dev/kvm, VM and vCPU descriptors.
    static func kvmDescriptors() -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd) else {
                return false
            }
            return target == "/dev/kvm" || target.hasPrefix("anon_inode:kvm")
        }.count
    }

    /// Wall time of body in seconds.
    static func timed<T>(_ body: () throws -> T) rethrows -> (T, TimeInterval) {
        var a = timespec(), b = timespec()
        clock_gettime(CLOCK_MONOTONIC, &a)
        let value = try body()
        clock_gettime(CLOCK_MONOTONIC, &b)
        return (value, Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) / 1e9)
    }
}
