import Environments
import Foundation
import GuestImage
import Host
import IsoprobeCore
import OCI

/// An OCI bundle isoprobe writes for one workload: a root filesystem built from the same
/// file set the VM's initramfs uses, and the argv the container runs. Built once per
/// workload and reused across repetitions; `remove()` deletes it.
final class ContainerBundle {
    private let owned: OwnedDirectory
    let directory: String
    let args: [String]
    /// Host directories the container sees read-only (command workloads use host programs).
    let hostBinds: [OCI.Mount]
    private var removed = false

    var rootfs: String { directory + "/rootfs" }
    var configPath: String { directory + "/config.json" }
    var stderrLog: String { directory + "/stderr.log" }
    var emptyFile: String { directory + "/empty" }
    /// Holds the hook's FIFOs; bind-mounted into the container at `hookMountPoint`.
    var hookDirectory: String { directory + "/hook" }
    static let hookMountPoint = "/.isoprobe-hook"
    /// The workload's TMPDIR inside the container: a scratch directory on the host's disk,
    /// as a native run gets, instead of the container's tmpfs /tmp.
    let scratch: Scratch
    static let scratchMountPoint = "/scratch"

    /// The scratch bind and its TMPDIR, added to the config the container runs with.
    var scratchMount: OCI.Mount {
        OCI.Mount(destination: Self.scratchMountPoint, type: "bind", source: scratch.path,
                  options: ["bind", "rw", "nosuid", "nodev"])
    }

    /// Fixture workloads run from the guest file set alone; a command gets the host's /usr
    /// (and the /bin, /lib... links or binds beside it) read-only, so host programs run.
    init(invocation: WorkloadInvocation) throws {
        owned = try OwnedDirectory(prefix: "isoprobe-bundle", what: "a bundle directory")
        directory = owned.path
        PausePoint.reached(.bundle)
        // The container's root (uid 100000 with a user namespace) must be able to enter it.
        chmod(directory, 0o755)
        do {
            scratch = try Scratch.make()
        } catch {
            owned.remove()
            throw error
        }
        do {
            var set: FileSet
            var binds: [OCI.Mount] = []
            // fio runs as a host program (its shell command and the host's fio) does.
            if invocation.spec.command == nil && !FioJob.isFio(invocation.spec) {
                set = try FileSet.guestRoot(workloads: [invocation.argv[0]])
                let name = (invocation.argv[0] as NSString).lastPathComponent
                args = [GuestLayout.workloadsDirectory + "/" + name] + invocation.argv.dropFirst()
            } else {
                guard let program = HostTool.find(invocation.argv[0]) else {
                    throw IsoprobeError(.usage, "command not found: \(invocation.argv[0])",
                                        fix: "give a path or a command on PATH")
                }
                (set, binds) = try Self.hostProgramRoot(program: program)
                args = [program] + invocation.argv.dropFirst()
            }
            try set.addFile(at: "/etc/hostname", contents: "isoprobe\n")
            // Made here: with a user namespace the runtime cannot create it in a root-owned tree.
            try set.addDirectory(at: Self.hookMountPoint)
            try set.addDirectory(at: Self.scratchMountPoint)
            hostBinds = binds
            try set.materialize(into: rootfs)
            guard FileManager.default.createFile(atPath: emptyFile, contents: Data()) else {
                throw IsoprobeError(.failed, "cannot write \(emptyFile)")
            }
            mkdir(hookDirectory, 0o755)
        } catch {
            owned.remove()
            scratch.remove()
            throw error
        }
    }

    /// A root whose /usr is the host's, read-only, with the host's top-level links
    /// (/bin -> usr/bin on merged-/usr systems) or binds, and the program itself if it
    /// lives elsewhere.
    static func hostProgramRoot(program: String) throws -> (FileSet, [OCI.Mount]) {
        var set = FileSet()
        var binds: [OCI.Mount] = []
        let fm = FileManager.default
        for dir in ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let target = try? fm.destinationOfSymbolicLink(atPath: dir) {
                try set.addSymlink(at: dir, target: target)
            } else if (try? fm.attributesOfItem(atPath: dir)[.type] as? FileAttributeType) == .typeDirectory {
                try set.addDirectory(at: dir)
                binds.append(OCI.Mount(destination: dir, type: "bind", source: dir,
                                       options: ["rbind", "ro", "nosuid", "nodev"]))
            }
        }
        let covered = binds.map(\.destination) + ["/bin", "/sbin", "/lib", "/lib64"]
        if !covered.contains(where: { program.hasPrefix($0 + "/") }) {
            try set.addExecutable(program, as: program)
        }
        try set.addFile(at: "/etc/passwd", contents: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
        try set.addFile(at: "/etc/group", contents: "root:x:0:\nnobody:x:65534:\n")
        try set.addDirectory(at: "/tmp", mode: 0o1777)
        for dir in ["/proc", "/sys", "/dev", "/run", "/root"] { try set.addDirectory(at: dir) }
        return (set, binds)
    }

    deinit { remove() }

    func remove() {
        guard !removed else { return }
        removed = true
        owned.remove()
        scratch.remove()
    }
}
