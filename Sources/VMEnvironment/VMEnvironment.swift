import AgentProtocol
import Environments
import Foundation
import GuestImage
import IsoprobeCore
import VM

/// The workload in a QEMU guest booted from an initramfs of the shared file set, with the
/// isoprobe agent as the guest's program: the guest's own kernel runs the probes, and the
/// results come back over the agent port. Each run boots a fresh guest.
public final class VMEnvironment {
    public struct Options: Sendable {
        public var kernelPath: String?
        public var accelerator: QEMUCommand.Accelerator
        public var vcpus: Int
        public var memoryMiB: Int
        public var bootTimeout: Double
        /// An ext4 scratch disk as the workload's TMPDIR (see `scratchDiskMiB`). `verify`'s
        /// guests go without: the checker writes no files, and its block-device check would
        /// only find the guest's own disk.
        public var scratchDisk: Bool

        public init(kernelPath: String? = nil, accelerator: QEMUCommand.Accelerator = .tcg, vcpus: Int = 1,
                    memoryMiB: Int = 1024, bootTimeout: Double = 60, scratchDisk: Bool = true) {
            self.kernelPath = kernelPath
            self.accelerator = accelerator
            self.vcpus = vcpus
            self.memoryMiB = memoryMiB
            self.bootTimeout = bootTimeout
            self.scratchDisk = scratchDisk
        }
    }

    public let options: Options
    /// Where guest consoles are kept: `$ISOPROBE_LOG_DIR`, else /var/log/isoprobe.
    public static var logRoot: String {
        ProcessInfo.processInfo.environment["ISOPROBE_LOG_DIR"] ?? "/var/log/isoprobe"
    }

    /// Guest consoles kept in `logRoot`; older ones go as new guests start, so the folder
    /// holds recent runs to read, not every run ever made.
    public static let keptGuestLogs = 32

    /// Removes all but the newest `keeping` guest log folders (`vm-*`, by modification time).
    public static func pruneGuestLogs(in root: String = logRoot, keeping: Int = keptGuestLogs) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else { return }
        let dated = names.filter { $0.hasPrefix("vm-") }.compactMap { name -> (String, Date)? in
            let path = root + "/" + name
            guard let date = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return nil }
            return (path, date)
        }.sorted { $0.1 > $1.1 }
        for (path, _) in dated.dropFirst(keeping) { try? fm.removeItem(atPath: path) }
    }

    /// A workload's argv as the guest runs it: fixtures from the guest's workloads folder,
    /// commands as given.
    public static func guestArgv(hostArgv: [String], isCommand: Bool) -> [String] {
        isCommand ? hostArgv
            : [GuestLayout.workloadsDirectory + "/" + (hostArgv[0] as NSString).lastPathComponent] + hostArgv.dropFirst()
    }
    public let kernel: GuestKernel
    let agentBinary: String
    let probesDirectory: String

    /// QEMU's path, found as QEMUProcess finds it when it starts QEMU.
    public static var qemuPath: String? { HostTool.find(QEMUCommand.defaultExecutable) }

    lazy var qemuVersion: String = Self.qemuPath.map(Self.version(ofQEMU:)) ?? "unknown"

    /// The first line of `qemu --version`.
    public static func version(ofQEMU path: String) -> String {
        let result = try? HelperCommand.run([path, "--version"], timeout: 10)
        return result?.stdout.split(separator: "\n").first.map(String.init) ?? "unknown version"
    }

    public init(options: Options, agentBinary: String, probesDirectory: String) throws {
        self.options = options
        kernel = try KernelLocator(explicitPath: options.kernelPath).locate()
        self.agentBinary = agentBinary
        self.probesDirectory = probesDirectory
    }

    /// The guest's scratch disk: size of the ext4 image each guest gets as /dev/vda, mounted
    /// at /scratch and given to workloads as their TMPDIR, as native runs and containers get
    /// a directory on the host's disk. 256 MiB, sparse.
    public static let scratchDiskMiB = 256
    static let scratchMountPoint = "/scratch"

    /// The modules the scratch disk needs in the guest (virtio-blk, ext4 and their
    /// dependencies, and crc32c, which ext4 asks the crypto API for whatever the features), resolved once; nil with the reason when the guest kernel lacks them,
    /// and guests then write to their in-memory root (the report notes it).
    lazy var scratchModules: Result<GuestModules, Error> = Result {
        guard ScratchDisk.formatter != nil else {
            throw IsoprobeError(.missing, "mkfs.ext4 not found", fix: "apt-get install -y e2fsprogs")
        }
        return try GuestModules.resolve(["virtio_blk", "ext4", "crc32c_generic"], for: kernel)
    }
    private var warnedNoScratch = false

    /// /init lines that load the modules and mount the scratch disk; none without one.
    static func scratchScript() -> String {
        """
        for m in \(GuestModules.guestDirectory)/*.ko; do [ -e "$m" ] && insmod "$m"; done
        mkdir -p \(scratchMountPoint)
        for i in 1 2 3 4 5 6 7 8 9 10; do
          mount -t ext4 -o noatime /dev/vda \(scratchMountPoint) 2>/dev/null && break
          sleep 0.05
        done
        grep -q ' \(scratchMountPoint) ' /proc/mounts && export ISOPROBE_SCRATCH=\(scratchMountPoint) \
          || echo 'isoprobe: scratch disk not mounted; workloads write to the in-memory root'
        """
    }

    /// What one guest run produced.
    public struct GuestRun: Sendable {
        public var results: [RunResult]
        public var hello: AgentHello?
        public var failure: AgentFailure?
        /// The workload's standard output, when the request asked for it.
        public var output: String?
        public var outcome: GuestBoot.Outcome
        public var lostFrames: Int
        /// The cgroup QEMU ran in, when the host probed it.
        public var hostTarget: CgroupTarget?
    }

    /// Boots a guest that runs `request` and powers off; returns what the agent sent.
    /// With `host`, QEMU runs in a cgroup of its own and `host` (the host's probes) is told
    /// of it before QEMU starts and after it exits: the VMM's side of the same run.
    public func run(_ request: AgentProtocol.RunRequest, workloadBinary: String?,
                    host: (observer: RunObserver, hierarchy: CgroupHierarchy)? = nil) throws -> GuestRun {
        var root = try FileSet.guestRoot(workloads: workloadBinary.map { [$0] } ?? [],
                                         agent: GuestAgent(binary: agentBinary, probesDirectory: probesDirectory))
        var scratch = ""
        switch options.scratchDisk ? scratchModules : nil {
        case nil:
            break
        case .success(let modules):
            try modules.add(to: &root)
            scratch = Self.scratchScript()
        case .failure(let error):
            if !warnedNoScratch {
                warnedNoScratch = true
                FileHandle.standardError.write(Data("isoprobe: no scratch disk for guests (\(error)); they write to their in-memory root\n".utf8))
            }
        }
        let script = GuestInit.script(running: """
            mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup
            mount -t bpf bpf /sys/fs/bpf 2>/dev/null
            \(scratch)
            \(GuestLayout.agentBinary) agent
            """)
        var configuration = GuestBoot.Configuration(kernel: kernel, root: root, initScript: script)
        if !scratch.isEmpty { configuration.scratchDiskMiB = Self.scratchDiskMiB }
        configuration.accelerator = options.accelerator
        configuration.vcpus = options.vcpus
        configuration.memoryMiB = options.memoryMiB
        configuration.kernelArguments = [try request.kernelCommandLineParameter()]
        configuration.timeout = .seconds(options.bootTimeout)
        configuration.agentTransport = AgentPort.transport(for: kernel)
        configuration.marker = AgentMessage.consoleReadyLine
        // The guest console (and QEMU's own messages) go to a log of their own, never into results.
        Self.pruneGuestLogs(keeping: Self.keptGuestLogs - 1)
        let logs = Self.logRoot + "/" + CgroupNames.unique(prefix: "vm-\(Int(Date().timeIntervalSince1970))")
        configuration.logDirectory = logs
        var cgroup: Cgroup?
        defer { try? cgroup?.remove() }
        if let host {
            let made = try Cgroup.create(named: CgroupNames.unique(prefix: "isoprobe-vmm"), in: host.hierarchy)
            cgroup = made
            configuration.cgroupProcs = made.path + "/cgroup.procs"
            try host.observer.targetReady(made.target)
        }
        let outcome: GuestBoot.Outcome
        do {
            outcome = try GuestBoot(configuration).run()
        } catch {
            host?.observer.workloadFinished()
            throw error
        }
        host?.observer.workloadFinished()
        let hostTarget = cgroup?.target

        var reader = AgentChannel.Reader()
        let events = reader.feed(outcome.agentOutput) + reader.finish()
        var run = GuestRun(results: [], hello: nil, failure: nil, output: nil, outcome: outcome, lostFrames: 0,
                           hostTarget: hostTarget)
        for event in events {
            switch event {
            case .message(.hello(let h)): run.hello = h
            case .message(.result(var r)):
                r.environment = "vm"
                var details = r.details ?? EnvironmentDetails()
                details.accelerator = options.accelerator.rawValue
                details.guestKernel = run.hello?.kernelRelease
                details.runtime = .init(name: "qemu", version: qemuVersion, path: Self.qemuPath ?? QEMUCommand.defaultExecutable)
                details.bootNs = outcome.timings.toMarker.map { UInt64(max(0, $0.nanoseconds)) }
                details.guestLog = logs + "/console.log"
                r.details = details
                // The guest's boot, agent start, probe loading and power-off: the VM's own cost.
                let total = UInt64(max(0, outcome.timings.initramfs.nanoseconds + outcome.timings.toExit.nanoseconds))
                r.setupNs = total > r.wallNs ? total - r.wallNs : 0
                r.teardownNs = 0
                run.results.append(r)
            case .message(.error(let f)): run.failure = f
            case .message(.output(let text)): run.output = text
            case .corruptFrame, .missingChunks, .missingMessages, .unreadableMessage: run.lostFrames += 1
            default: break
            }
        }
        return run
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
