import Foundation
import Host
import IsoprobeCore

/// The file a storage workload's block device stands on: in a folder of its own under the
/// scratch location (`$ISOPROBE_SCRATCH`, else /var/tmp), on the host's disk. It is written
/// whole before the first run (a sparse or preallocated file reads as zeros without touching
/// the disk, which would measure nothing), synced, and dropped from the page cache with
/// POSIX_FADV_DONTNEED, so reads come from the disk without a global `drop_caches`.
public final class BlockBacking: @unchecked Sendable {
    let directory: OwnedDirectory
    public let file: String
    public let bytes: Int64

    public init(bytes: Int64) throws {
        try Scratch.checkBase()
        directory = try OwnedDirectory(in: Scratch.base, prefix: "isoprobe-block", what: "a block device's backing folder",
                                       kind: .missing, fix: "set ISOPROBE_SCRATCH to a writable directory on disk")
        file = directory.path + "/backing.img"
        self.bytes = bytes
        do {
            try Self.fill(file, bytes: bytes)
        } catch {
            directory.remove()
            throw error
        }
    }

    /// Deletes the file and its folder (once).
    public func remove() { directory.remove() }

    static func fill(_ path: String, bytes: Int64) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("create", path) }
        defer { close(fd) }
        let chunk = 1 << 20
        // Not zeros: some filesystems and devices shortcut zero blocks.
        var buffer = [UInt8](repeating: 0, count: chunk)
        for i in buffer.indices { buffer[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        var written: Int64 = 0
        while written < bytes {
            try Interruption.shared.check()
            let n = Int(min(Int64(chunk), bytes - written))
            let w = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress, n, off_t(written)) }
            guard w > 0 else { throw failure("write", path) }
            written += Int64(w)
        }
        guard fdatasync(fd) == 0 else { throw failure("sync", path) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    }

    static func failure(_ what: String, _ path: String) -> IsoprobeError {
        IsoprobeError(.failed, "cannot \(what) the block device's backing file \(path)", cause: ErrorWords.of(errno: errno))
    }
}

/// A backing file with a loop device over it: the block device of native and container runs.
public final class LoopBlockDevice: @unchecked Sendable {
    public let backing: BlockBacking
    public let loop: LoopDevice

    public init(bytes: Int64) throws {
        backing = try BlockBacking(bytes: bytes)
        do {
            loop = try LoopDevice(backing: backing.file)
        } catch {
            backing.remove()
            throw error
        }
        PausePoint.reached(.blockDevice)
    }

    public var path: BlockPath {
        BlockPath(kind: "loop", device: loop.path, backingBytes: backing.bytes, directIo: loop.directIo)
    }

    /// Detaches the device, then removes its backing.
    public func release() {
        loop.detach()
        backing.remove()
    }
}

/// An environment's one loop block device for a whole plan: sized by the largest workload
/// that needs one and made when the plan is prepared (or on first need), released at the end.
public final class BlockDeviceHolder: @unchecked Sendable {
    private var bytes: Int64?
    public private(set) var current: LoopBlockDevice?

    public init() {}

    /// Makes the device now, so no run's set-up pays for writing its backing.
    public func prepare(for specs: [WorkloadSpec]) throws {
        guard let need = BlockDeviceNeed.bytes(for: specs) else { return }
        bytes = max(bytes ?? 0, need)
        if current == nil || current!.backing.bytes < need {
            current?.release()
            current = try LoopBlockDevice(bytes: bytes!)
        }
    }

    /// The device for a workload that needs one (made now if not yet); nil for the others.
    public func device(for spec: WorkloadSpec) throws -> LoopBlockDevice? {
        guard let need = BlockDeviceNeed.bytes(for: spec) else { return nil }
        if let current, current.backing.bytes >= need { return current }
        current?.release()
        current = nil
        let made = try LoopBlockDevice(bytes: max(need, bytes ?? 0))
        current = made
        return made
    }

    public func release() {
        current?.release()
        current = nil
    }
}
