import Foundation
import IsoprobeCore

/// A loop device over a backing file, attached with direct I/O (`losetup --direct-io=on`), so
/// the workload's O_DIRECT reads and writes reach the backing file's disk without the page
/// cache in between, twice. Written in the ledger from when its name is known until
/// `detach()`; a sweep also detaches any loop device whose backing lies in a folder it
/// removes, which covers a kill between `losetup` answering and the ledger's line.
public final class LoopDevice: @unchecked Sendable {
    /// `/dev/loopN`.
    public let path: String
    public let backing: String
    /// Whether the kernel took direct I/O (a backing on tmpfs, say, refuses it).
    public let directIo: Bool
    public let major: Int64
    public let minor: Int64
    private var token: ResourceLedger.Token?
    private var lent: ResourceLedger.Token?
    private var original: (uid: uid_t, gid: gid_t, mode: mode_t)?

    /// Attaches a free loop device to `backing`.
    public init(backing: String) throws {
        guard let losetup = HostTool.find("losetup") else {
            throw IsoprobeError(.missing, "losetup not found: block workloads need a loop device", fix: "apt-get install -y mount")
        }
        guard access("/dev/loop-control", R_OK | W_OK) == 0 else {
            throw IsoprobeError(.missing, "/dev/loop-control is missing: block workloads need a loop device",
                                fix: "modprobe loop (as root)")
        }
        let result = try HelperCommand.run([losetup, "--find", "--show", "--direct-io=on", backing], timeout: 30)
        let name = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.succeeded, name.hasPrefix("/dev/loop") else {
            throw IsoprobeError(.failed, "losetup could not attach \(backing)",
                                cause: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        path = name
        self.backing = backing
        token = ResourceLedger.shared.record(.loopDevice(path: name, backing: backing))
        var st = stat()
        guard stat(name, &st) == 0, st.st_mode & S_IFMT == S_IFBLK else {
            Self.detach(name, ifBacking: backing)
            ResourceLedger.shared.release(token)
            throw IsoprobeError(.failed, "losetup named \(name), which is not a block device")
        }
        // glibc's major()/minor() are macros Swift cannot see.
        let rdev = UInt64(st.st_rdev)
        major = Int64((rdev >> 8) & 0xfff | (rdev >> 32) & ~0xfff)
        minor = Int64(rdev & 0xff | (rdev >> 12) & ~0xff)
        directIo = ProcFS.text("/sys/block/\(Self.kernelName(name))/loop/dio")?.hasPrefix("1") ?? false
    }

    /// The device number as the kernel's block tracepoints carry it (MKDEV: major << 20 | minor).
    public var kernelDev: UInt32 { UInt32(major) << 20 | UInt32(minor) }

    /// Makes the node usable by `uid` (a container's mapped root, which a user namespace
    /// leaves without a claim on a root-owned node) until `detach()` gives it back.
    public func lend(to uid: uid_t, gid: gid_t) throws {
        guard original == nil else { return }
        var st = stat()
        guard stat(path, &st) == 0 else { throw IsoprobeError(.failed, "cannot stat \(path)", cause: ErrorWords.of(errno: errno)) }
        lent = ResourceLedger.shared.record(.deviceOwner(path: path, uid: st.st_uid, gid: st.st_gid, mode: st.st_mode & 0o7777))
        original = (st.st_uid, st.st_gid, st.st_mode & 0o7777)
        guard chown(path, uid, gid) == 0, chmod(path, 0o600) == 0 else {
            throw IsoprobeError(.failed, "cannot hand \(path) to the container's root", cause: ErrorWords.of(errno: errno))
        }
    }

    /// Gives the node back its owner and detaches the device (once; later calls do nothing).
    public func detach() {
        if let original {
            chown(path, original.uid, original.gid)
            chmod(path, original.mode)
            self.original = nil
            ResourceLedger.shared.release(lent)
            lent = nil
        }
        guard let token else { return }
        Self.detach(path, ifBacking: backing)
        ResourceLedger.shared.release(token)
        self.token = nil
    }

    static func kernelName(_ path: String) -> String { (path as NSString).lastPathComponent }

    /// The backing file the kernel has for a loop device ("" when none is attached).
    static func backingFile(of path: String) -> String {
        let text = ProcFS.text("/sys/block/\(kernelName(path))/loop/backing_file") ?? ""
        var name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.hasSuffix(" (deleted)") { name.removeLast(" (deleted)".count) }
        return name
    }

    /// Detaches `path` only while it is still attached to `backing` (another program may have
    /// taken the device since).
    static func detach(_ path: String, ifBacking backing: String) {
        guard backingFile(of: path) == backing, let losetup = HostTool.find("losetup") else { return }
        _ = try? HelperCommand.run([losetup, "--detach", path], timeout: 30)
    }

    /// Every loop device whose backing file lies under `directory`.
    public static func attached(under directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return names.filter { $0.hasPrefix("loop") }.map { "/dev/" + $0 }.filter { backingFile(of: $0).hasPrefix(prefix) }
    }

    /// Detaches every loop device over a file under `directory`.
    static func detachAll(under directory: String) {
        for device in attached(under: directory) { detach(device, ifBacking: backingFile(of: device)) }
    }
}
