import AgentProtocol
import Environments
import Foundation
import GuestImage
import Host
import IsoprobeCore
import KVM
import Probes
import Synchronization
import VM

/// The workload in a QEMU guest booted from an initramfs of the shared file set, with the
/// isoprobe agent as the guest's program: the guest's own kernel runs the probes, and the
/// results come back over the agent port. One guest serves every run of a plan (paused
/// between runs), unless `fresh` asks for a guest per run. The host's probes watch QEMU
/// during each run: the VMM's side of the same run.
public final class VMEnvironment: Environment {
    public let kind = EnvironmentKind.vm
    public struct Options: EnvironmentOptions {
        public static let kind = EnvironmentKind.vm
        public func makeEnvironment(_ context: EnvironmentContext) throws -> Environment {
            try VMEnvironment(options: self, agentBinary: context.agentBinary, probesDirectory: context.probesDirectory,
                              hierarchy: context.hierarchy)
        }

        public var kernelPath: String?
        /// `--accel`: auto takes KVM where the calibration finds it usable.
        public var accel: AccelRequest
        public var vcpus: Int
        public var memoryMiB: Int
        /// From starting QEMU to the agent's `ready`; a workload's own time is apart from it.
        public var bootTimeout: Double
        /// An ext4 scratch disk as the workload's TMPDIR (see `scratchDiskMiB`). `verify`'s
        /// guests go without: the checker writes no files, and its block-device check would
        /// only find the guest's own disk.
        public var scratchDisk: Bool
        /// `--vm-fresh`: a fresh guest for every run, booted and powered off around it.
        /// Otherwise one guest serves every run of the plan, paused between them.
        public var fresh: Bool
        /// False (`--no-calibration`, with `--accel kvm` only): KVM is used without the calibration.
        public var calibrate = true
        /// A word put on the guest kernel's command line, so QEMU's process can be found on
        /// the host by it (verify's neighbours); nil: none.
        public var marker: String?

        public init(kernelPath: String? = nil, accel: AccelRequest = .auto, vcpus: Int = 1,
                    memoryMiB: Int = 1024, bootTimeout: Double = 60, scratchDisk: Bool = true, fresh: Bool = false,
                    marker: String? = nil) {
            self.kernelPath = kernelPath
            self.accel = accel
            self.vcpus = vcpus
            self.memoryMiB = memoryMiB
            self.bootTimeout = bootTimeout
            self.scratchDisk = scratchDisk
            self.fresh = fresh
            self.marker = marker
        }

        public func describe(host: inout HostFacts) {
            host.qemuVersion = VMEnvironment.installedQEMUVersion
        }

        /// How guests are kept, in the report's words.
        public var mode: String { fresh ? "fresh" : "persistent" }
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

    /// The first line of the installed QEMU's `--version`, asked once per process (the host's
    /// facts and every run's details both name it).
    public static let installedQEMUVersion: String? = qemuPath.map(version(ofQEMU:))

    /// The first line of `qemu --version`.
    public static func version(ofQEMU path: String) -> String {
        let result = try? HelperCommand.run([path, "--version"], timeout: 10)
        return result?.stdout.split(separator: "\n").first.map(String.init) ?? "unknown version"
    }

    public let accelerator: Accelerator
    let hierarchy: CgroupHierarchy
    private var workloads: [String] = []
    private var session: GuestSession?
    private var boots = 0
    /// The plan's network, when it has network workloads (VMEnvironment+Network).
    var network: TestNetwork?
    /// Its host number on that network's /24 (`attach(to:host:)`).
    var networkHost = TestNetwork.guestHost
    public internal(set) var networkPath: NetworkPath?
    /// The plan's storage disk: its size, once a workload asks for one, and the file QEMU opens.
    private var blockBytes: Int64?
    /// fio and its libraries go into the guest's image only for plans that run it.
    private var runsFio = false
    private var blockBacking: BlockBacking?

    /// Finds the kernel and picks the accelerator (the KVM calibration decides `auto`; the
    /// notice says so when it falls back to TCG).
    public init(options: Options, agentBinary: String, probesDirectory: String,
                hierarchy: CgroupHierarchy? = nil, notice: (String) -> Void = VMEnvironment.printNotice) throws {
        self.options = options
        kernel = try KernelLocator(explicitPath: options.kernelPath).locate()
        let calibration = { KVMCalibration.shared }
        accelerator = try AccelChoice.resolve(requested: options.accel, skipCalibration: !options.calibrate,
                                              calibrate: calibration)
        if !options.calibrate, accelerator == .kvm {
            notice("--no-calibration: using KVM as asked; nothing checked that it runs guest kernel code natively, "
                   + "so VM figures stand for this host's KVM only")
        }
        if options.accel == .auto, accelerator == .tcg {
            notice("\(calibration().description); VM figures under TCG do not stand for KVM's overhead")
        }
        self.agentBinary = agentBinary
        self.probesDirectory = probesDirectory
        self.hierarchy = try hierarchy ?? CgroupHierarchy.detect()
        guard Self.qemuPath != nil else {
            throw IsoprobeError(.missing, "\(QEMUCommand.defaultExecutable) not found", fix: "apt-get install -y qemu-system-x86")
        }
    }

    /// Prints a notice on standard error, once per process however many guests say it
    /// (verify's guests A and B, a victim and its neighbour).
    public static func printNotice(_ line: String) {
        guard printedNotices.withLock({ $0.insert(line).inserted }) else { return }
        FileHandle.standardError.write(Data("isoprobe: \(line)\n".utf8))
    }

    private static let printedNotices = Mutex<Set<String>>([])

    /// The plan's fixture binaries go into the guest's image (commands run from the guest's own root).
    public func prepare(for workloads: [WorkloadInvocation]) throws {
        if let need = BlockDeviceNeed.bytes(for: workloads.map(\.spec)) { blockBytes = max(blockBytes ?? 0, need) }
        if workloads.contains(where: { FioJob.isFio($0.spec) }) { runsFio = true }
        for w in workloads where w.spec.command == nil && !FioJob.isFio(w.spec) && !self.workloads.contains(w.argv[0]) {
            self.workloads.append(w.argv[0])
        }
    }

    public func close() {
        session?.shutdown()
        session = nil
        // After QEMU, which held the file open.
        blockBacking?.remove()
        blockBacking = nil
    }

    public func measure(_ request: MeasureRequest) throws -> MeasuredRun {
        try Interruption.shared.check()
        let invocation = request.invocation
        try prepare(for: [invocation])
        let booted = session == nil
        let guest = try session ?? boot()
        session = guest
        defer { if options.fresh { close() } }

        var guestRequest = GuestRunRequest(
            workload: invocation.spec,
            argv: Self.guestArgv(hostArgv: invocation.argv, isCommand: invocation.spec.command != nil || FioJob.isFio(invocation.spec)),
            timeoutSeconds: invocation.timeout, probes: request.probes.families.map(\.rawValue),
            repetition: request.repetition, returnOutput: request.keepOutput || invocation.echoOutput ? true : nil)
        if let network, NetworkWorkload(spec: invocation.spec) != nil, !request.probes.families.isEmpty {
            guestRequest.networkSubnet = network.address(0)
        }
        // The host's probes on QEMU's cgroup for this run only; under KVM, exits by reason too.
        var hostSettings = request.probes
        hostSettings.directory = probesDirectory
        hostSettings.slowThresholdNs = 0
        hostSettings.runqEventThresholdNs = 0
        let hostProbes = ProbeSession(settings: hostSettings)
        defer { hostProbes.close() }
        let kvmProbe = accelerator == .kvm ? KVMExitProbe(directory: probesDirectory) : nil
        defer { kvmProbe?.close() }
        let observer = ObserverGroup([hostProbes] + (kvmProbe.map { [$0] } ?? []) + request.observers)
        try observer.targetReady(guest.vmm.target)
        let sent = ContinuousClock.now
        let answer: (result: RunResult, output: String?)
        do {
            try guest.resume()
            answer = try guest.run(guestRequest)
            if !options.fresh { try guest.pause() }
        } catch {
            observer.workloadFinished()
            // A guest that broke the protocol, fell silent or died serves no more runs: the
            // next run boots another.
            if guest.isBroken { close() }
            throw error
        }
        let roundTrip = UInt64(max(0, (ContinuousClock.now - sent).nanoseconds))
        observer.workloadFinished()
        let measured = try hostProbes.collect()

        var r = answer.result
        r.environment = label
        var details = r.details ?? EnvironmentDetails()
        details.accelerator = accelerator.rawValue
        details.guestKernel = guest.hello?.kernelRelease
        details.guestClocksource = guest.hello?.guest.clocksource
        details.guestMode = options.mode
        details.runtime = .init(name: "qemu", version: Self.installedQEMUVersion ?? "unknown", path: Self.qemuPath ?? QEMUCommand.defaultExecutable)
        // Boot is reported once per guest: on the first run it served.
        details.bootNs = booted ? guest.bootNs : nil
        details.guestLog = guest.logDirectory + "/console.log"
        if FioJob.isFio(invocation.spec) { r.blockIo = BlockIOFigures(fio: r.fio, job: try? FioJob.load(invocation.spec)) }
        if let given = details.blockPath, let backing = blockBacking {
            details.blockPath = QEMUBlockDrive(file: backing.file, accelerator: accelerator)
                .path(backingBytes: backing.bytes, device: given.device)
        }
        r.details = details
        // QEMU's own memory, the guest's RAM mapping left out (it is the guest's, not the VMM's).
        if let sums = ProcessMemory.sums(of: guest.machine.pid, excludingAtLeast: UInt64(options.memoryMiB) << 20) {
            r.footprint = Footprint(vmmPssBytes: sums.pssBytes, vmmUssBytes: sums.ussBytes, guestMemoryBytes: sums.excludedBytes)
        }
        // The VM's own cost: the request's round trip beyond the guest's workload, and a
        // fresh guest's image, boot and power-off.
        r.setupNs = (roundTrip > r.wallNs ? roundTrip - r.wallNs : 0) + (options.fresh ? guest.initramfsNs + guest.bootNs : 0)
        r.teardownNs = 0
        let target = guest.vmm.target
        r.hostView = HostView(target: TargetDescription(cgroupPath: target.path, cgroupId: target.id, cgroupLevel: target.level),
                              probes: hostProbes.probeStatuses, syscalls: measured.syscalls, sched: measured.sched,
                              memory: measured.memory, kvm: try? kvmProbe?.collect())
        if invocation.echoOutput, let text = answer.output {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        return MeasuredRun(result: r, output: request.keepOutput ? answer.output : nil)
    }

    /// Boots a guest with every workload of the plan in its image, up to the agent's `ready`.
    private func boot() throws -> GuestSession {
        var root = try FileSet.guestRoot(workloads: workloads,
                                         agent: GuestAgent(binary: agentBinary, probesDirectory: probesDirectory))
        if runsFio, let fio = HostTool.find("fio") { try root.addExecutable(fio, as: "/usr/bin/fio") }
        var scratch = ""
        // A storage workload's disk needs virtio_blk in the guest, as the scratch disk does.
        switch options.scratchDisk || blockBytes != nil ? scratchModules : nil {
        case nil:
            break
        case .success(let modules):
            try modules.add(to: &root)
            scratch = options.scratchDisk ? Self.scratchScript() : Self.moduleScript
            if let bytes = blockBytes {
                if blockBacking == nil {
                    blockBacking = try BlockBacking(bytes: bytes)
                    PausePoint.reached(.blockDevice)
                    try Interruption.shared.check()
                }
                scratch += "\n" + Self.blockScript
            }
        case .failure(let error):
            Self.printNotice("no scratch disk for guests (\(error)); they write to their in-memory root")
        }
        let networkSetUp = try network.map { try networkScript(root: &root, network: $0) } ?? ""
        let script = GuestInit.script(running: """
            mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup
            mount -t bpf bpf /sys/fs/bpf 2>/dev/null
            \(scratch)
            \(networkSetUp)
            \(GuestLayout.agentBinary) agent --serve\(Self.misbehaviourArgument)
            """)
        var configuration = GuestBoot.Configuration(kernel: kernel, root: root, initScript: script)
        if !scratch.isEmpty && options.scratchDisk { configuration.scratchDiskMiB = Self.scratchDiskMiB }
        configuration.blockFile = blockBacking?.file
        configuration.accelerator = accelerator
        configuration.vcpus = options.vcpus
        configuration.memoryMiB = options.memoryMiB
        configuration.kernelArguments = options.marker.map { [Self.kernelArgument(marker: $0)] } ?? []
        configuration.agentTransport = AgentPort.transport(for: kernel)
        let tap = try network.map { try addNetworkCard(to: &configuration, network: $0) }
        defer { if let tap { Glibc.close(tap) } }
        configuration.marker = AgentMessage.consoleReadyLine
        // The guest console (and QEMU's own messages) go to a log of their own, never into results.
        Self.pruneGuestLogs(keeping: Self.keptGuestLogs - 1)
        configuration.logDirectory = Self.logRoot + "/" + CgroupNames.unique(prefix: "vm-\(Int(Date().timeIntervalSince1970))")
        boots += 1
        return try GuestSession(configuration: configuration, hierarchy: hierarchy,
                                bootTimeout: .seconds(options.bootTimeout), pauseWhenIdle: !options.fresh)
    }

    /// Test only: a hostile agent in every guest, from `$ISOPROBE_AGENT_MISBEHAVE` (see
    /// `Misbehaviour`); "" without it. The value is checked, never pasted into the script.
    static var misbehaviourArgument: String {
        guard let value = ProcessInfo.processInfo.environment[Misbehaviour.environmentVariable],
              let mode = Misbehaviour(rawValue: value) else { return "" }
        return " --misbehave \(mode.rawValue)"
    }

    /// The guest kernel's parameter that carries `marker` (a dotted name the kernel ignores
    /// and does not pass to init); it is one word of QEMU's argv on the host.
    public static func kernelArgument(marker: String) -> String { "isoprobe.guest=\(marker)" }

    /// Guests booted so far.
    public var bootCount: Int { boots }

    /// Whether the guest serving this plan has its vCPUs running now (QEMU's own answer);
    /// nil without a guest. Between runs it is paused.
    public func guestIsRunning() throws -> Bool? { try session?.machine.isRunning() }

    /// The guest's scratch disk: size of the ext4 image each guest gets as a virtio disk, mounted
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

    /// /init's line that loads the modules the image carries.
    static let moduleScript = "for m in \(GuestModules.guestDirectory)/*.ko; do [ -e \"$m\" ] && insmod \"$m\"; done"

    /// /init lines that name the storage disk (found by its serial) for the agent.
    static let blockScript = """
        for i in 1 2 3 4 5 6 7 8 9 10; do
          for d in /sys/block/vd*; do
            [ "$(cat $d/serial 2>/dev/null)" = \(QEMUBlockDrive.serial) ] && export \(BlockDeviceNeed.environmentVariable)=/dev/${d##*/}
          done
          [ -n "$\(BlockDeviceNeed.environmentVariable)" ] && break
          sleep 0.05
        done
        [ -n "$\(BlockDeviceNeed.environmentVariable)" ] || echo "isoprobe: the storage disk did not appear (disks: $(ls /sys/block))"
        """

    /// /init lines that load the modules and mount the scratch disk; none without one.
    static func scratchScript() -> String {
        """
        \(moduleScript)
        mkdir -p \(scratchMountPoint)
        for i in 1 2 3 4 5 6 7 8 9 10; do
          for d in /sys/block/vd*; do
            # A storage workload's raw disk is never the scratch disk, whichever name it got.
            [ "$(cat $d/serial 2>/dev/null)" = \(QEMUBlockDrive.serial) ] && continue
            mount -t ext4 -o noatime /dev/${d##*/} \(scratchMountPoint) 2>/dev/null && break 2
          done
          sleep 0.05
        done
        grep -q ' \(scratchMountPoint) ' /proc/mounts && export ISOPROBE_SCRATCH=\(scratchMountPoint) \
          || echo 'isoprobe: scratch disk not mounted; workloads write to the in-memory root'
        """
    }
}
