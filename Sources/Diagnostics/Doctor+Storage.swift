import Environments
import Foundation
import Host
import IsoprobeCore
import VM
import VMEnvironment

extension Doctor {
    /// What the storage workloads need: loop devices, direct I/O where their backing goes,
    /// fio for fio jobs, and which of QEMU's AIO modes open a cache=none disk here.
    static func storageChecks() -> [Check] {
        var checks: [Check] = []
        let loop = access("/dev/loop-control", R_OK | W_OK) == 0 && HostTool.find("losetup") != nil
        checks.append(Check(name: "loop devices", ok: loop,
                            detail: loop ? "/dev/loop-control, losetup" : "no /dev/loop-control or losetup",
                            fix: loop ? nil : "modprobe loop; apt-get install -y mount", required: false))
        let direct = directIOWorks(in: Scratch.base)
        checks.append(Check(name: "O_DIRECT on scratch", ok: direct == nil,
                            detail: direct.map { "\(Scratch.base): \($0)" } ?? "\(Scratch.base): direct I/O works",
                            fix: direct == nil ? nil : "set ISOPROBE_SCRATCH to a folder on ext4 or xfs", required: false))
        let fio = HostTool.find("fio")
        let fioVersion = fio.flatMap { try? HelperCommand.run([$0, "--version"], timeout: 10).stdout }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        checks.append(Check(name: "fio", ok: fio != nil, detail: fio.map { "\($0): \(fioVersion ?? "")" } ?? "not found",
                            fix: fio == nil ? "apt-get install -y fio" : nil, required: false))
        if let qemu = VMEnvironment.qemuPath {
            let modes = ["native", "io_uring"].filter { aioWorks($0, qemu: qemu) }
            checks.append(Check(name: "qemu aio", ok: modes.contains("native"),
                                detail: modes.isEmpty ? "neither aio=native nor aio=io_uring opens a cache=none disk"
                                    : "cache=none with aio=" + modes.joined(separator: ", aio="),
                                fix: modes.contains("native") ? nil : "put ISOPROBE_SCRATCH on a filesystem with direct I/O",
                                required: false))
        }
        return checks
    }

    /// O_DIRECT on x86-64 and arm64 Linux; Glibc's Swift overlay leaves it out (_GNU_SOURCE).
    static let directFlag: Int32 = 0o40000

    /// nil when a 4 KiB O_DIRECT write works in `folder`, else why not.
    static func directIOWorks(in folder: String) -> String? {
        let path = folder + "/.isoprobe-direct-\(getpid())"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | directFlag | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return "O_DIRECT refused: " + ErrorWords.of(errno: errno) }
        defer {
            close(fd)
            unlink(path)
        }
        var buffer: UnsafeMutableRawPointer?
        guard posix_memalign(&buffer, 4096, 4096) == 0, let buffer else { return "out of memory" }
        defer { free(buffer) }
        memset(buffer, 0x5a, 4096)
        return pwrite(fd, buffer, 4096, 0) == 4096 ? nil : "a direct write failed: " + ErrorWords.of(errno: errno)
    }

    /// Whether QEMU opens a raw disk image with cache=none and this aio mode (no guest runs).
    static func aioWorks(_ mode: String, qemu: String) -> Bool {
        let image = Scratch.base + "/.isoprobe-aio-\(getpid())"
        guard FileManager.default.createFile(atPath: image, contents: Data(count: 1 << 20)) else { return false }
        defer { unlink(image) }
        let script = #"printf '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n' | "$0" -machine none -nodefaults -display none -S -qmp stdio -drive "file=$1,if=none,format=raw,cache=none,aio=$2,id=d""#
        let result = try? HelperCommand.run(["/bin/sh", "-c", script, qemu, QEMUCommand.escape(image), mode], timeout: 20)
        return result?.succeeded == true && result?.stderr.isEmpty == true
    }
}
