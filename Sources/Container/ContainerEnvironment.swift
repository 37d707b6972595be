import Environments
import Foundation
import GuestImage
import Host
import IsoprobeCore
import OCI

/// The workload in an OCI container started by a real runtime (runc by default).
///
/// Per run: write config.json, `<runtime> run`; when its startContainer hook reports the
/// container ready, hand the container's cgroup2 directory (and its first process) to the
/// observer, let the hook return, wait for the runtime to exit (it deletes the container),
/// remove cgroup parents it left.
public final class ContainerEnvironment: LocalEnvironment {
    public struct Options: EnvironmentOptions {
        public static let kind = EnvironmentKind.container
        public func makeEnvironment(_ context: EnvironmentContext) throws -> Environment {
            try ContainerEnvironment(options: self, hierarchy: context.hierarchy)
        }

        public var runtime: String
        public var limits: ResourceLimits
        /// A user's config.json, as `Spec.runnable` and the hook change it (each change is
        /// listed in `userConfigChanges`).
        public var ociConfigPath: String?
        /// nil: a user namespace where the runtime supports one (runc, crun).
        public var userNamespace: Bool?
        /// `--network`; nil: a bridge for network workloads, loopback only otherwise.
        public var network: NetworkMode?

        public init(runtime: String = "runc", limits: ResourceLimits = .none, ociConfigPath: String? = nil,
                    userNamespace: Bool? = nil, network: NetworkMode? = nil) {
            self.runtime = runtime
            self.limits = limits
            self.ociConfigPath = ociConfigPath
            self.userNamespace = userNamespace
            self.network = network
        }
    }

    public let kind = EnvironmentKind.container
    public let runtime: OCIRuntime
    public let options: Options
    let hierarchy: CgroupHierarchy
    let userConfig: Spec?
    private var bundles: [[String]: ContainerBundle] = [:]
    /// The network a bridged container is plugged into, each run (ContainerEnvironment+Network).
    var bridgedTo: TestNetwork?
    /// Its host number on that network's /24 (`attach(to:host:)`).
    var bridgeHost = TestNetwork.containerHost
    public internal(set) var networkPath: NetworkPath?
    /// The plan's block device (storage workloads), kept from `prepare` to `close`.
    let block = BlockDeviceHolder()

    public init(options: Options, hierarchy: CgroupHierarchy) throws {
        self.options = options
        self.hierarchy = hierarchy
        runtime = try OCIRuntime.resolve(options.runtime, hierarchy: hierarchy)
        if let path = options.ociConfigPath {
            guard options.limits == .none else {
                throw IsoprobeError(.usage, "--cpus, --memory and --pids cannot be combined with --oci-config",
                                    fix: "put the limits in the config's linux.resources")
            }
            userConfig = try Self.loadUserConfig(path)
        } else {
            userConfig = nil
        }
    }

    /// A user's config.json, refused up front, in one line naming the field, when it asks
    /// for what the runtime would refuse on this host.
    public static func loadUserConfig(_ path: String) throws -> Spec {
        let spec = try Spec.load(from: path)
        if var refusal = spec.refusal(grantable: ProcFS.boundingSet().map(Set.init)) {
            refusal.file = path
            throw refusal
        }
        return spec
    }

    /// What isoprobe changed in the user's config to run in it (empty without one), each
    /// with why; known once a workload has run.
    public internal(set) var userConfigChanges: [ConfigChange] = []

    var usesUserNamespace: Bool {
        // A user namespace cannot mount sysfs for the host's network namespace, which it does
        // not own: `--network host` goes without one, as Docker's does.
        options.userNamespace ?? (["runc", "crun"].contains(runtime.name) && options.network != .host)
    }

    public func prepare(for workloads: [WorkloadInvocation]) throws {
        try block.prepare(for: workloads.map(\.spec))
    }

    public func close() {
        block.release()
        for bundle in bundles.values { bundle.remove() }
        bundles.removeAll()
        // The state root is ours alone; empty once every container is deleted.
        rmdir(runtime.stateRoot)
        rmdir((runtime.stateRoot as NSString).deletingLastPathComponent)
    }

    /// The bundle directory a workload runs from (built on first use), for benchmarks that
    /// run the same bundle with the runtime alone.
    public func bundleDirectory(for invocation: WorkloadInvocation) throws -> String {
        try bundle(for: invocation).directory
    }

    /// Writes the bundle's config.json as a bare runtime would get it: the same profile,
    /// without isoprobe's hook (for benchmarks that run the bundle with the runtime alone).
    public func writeBareConfig(for invocation: WorkloadInvocation, id: String) throws {
        let b = try bundle(for: invocation)
        try spec(for: b, workload: invocation.spec, id: id, cgroupsPath: "/" + id).write(to: b.configPath)
    }

    /// Runs a runtime subcommand on its own, standard output discarded; exit code.
    public func runtimeCommand(_ args: [String], bundleDirectory: String) throws -> Int32 {
        let devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { Glibc.close(devnull) }
        return HelperCommand.wait(try HelperCommand.spawn(runtime.command(args, emptyFile: bundleDirectory + "/empty"),
                                                          stdoutFD: devnull, stderrFD: devnull))
    }

    func bundle(for invocation: WorkloadInvocation) throws -> ContainerBundle {
        if let b = bundles[invocation.argv] { return b }
        let b = try ContainerBundle(invocation: invocation)
        bundles[invocation.argv] = b
        return b
    }

    /// The config for one run: the hardened profile, or the user's made runnable.
    func spec(for bundle: ContainerBundle, workload: WorkloadSpec, id: String, cgroupsPath: String) throws -> Spec {
        if let userConfig {
            var (spec, changes) = try userConfig.runnable(args: bundle.args, rootPath: bundle.rootfs, cgroupsPath: cgroupsPath)
            changes += applyNetwork(to: &spec)
            userConfigChanges = changes
            try addBlockDevice(for: workload, to: &spec)
            return spec
        }
        var spec = try Spec.hardened(rootfs: bundle.rootfs, args: bundle.args,
                                     env: Spec.defaultEnv + ["TMPDIR=\(ContainerBundle.scratchMountPoint)"],
                                     cgroupsPath: cgroupsPath, limits: options.limits, userNamespace: usesUserNamespace)
        spec.mounts = (spec.mounts ?? []) + bundle.hostBinds + [bundle.scratchMount]
        _ = applyNetwork(to: &spec)
        try addBlockDevice(for: workload, to: &spec)
        return spec
    }

    public var details: EnvironmentDetails {
        let limits = EnvironmentDetails.Limits(cpus: options.limits.cpus, memoryBytes: options.limits.memoryBytes,
                                               pids: options.limits.pids)
        return EnvironmentDetails(runtime: runtime.description, limits: limits.isEmpty ? nil : limits)
    }

    /// The workload runs under a single `<runtime> run`, which creates, starts, waits and
    /// deletes in one process. Once the container is set up, just before the runtime execs
    /// the workload, it runs isoprobe's startContainer hook inside the container: a shell
    /// that hands over the container state (its first process) through one FIFO and waits
    /// on a second until the probes are attached to the container's cgroup. One runtime
    /// process instead of create/start/delete saves two runtime start-ups a run; the
    /// runtime's own set-up (mounts, pivot_root) is done before the probes look, and no
    /// instruction of the workload runs unobserved.
    public func run(_ invocation: WorkloadInvocation, observer: RunObserver) throws -> EnvironmentRun {
        let bundle = try bundle(for: invocation)
        let setupStart = ChildProcess.now()
        let id = CgroupNames.unique(prefix: "isoprobe-ctr")
        let ready = bundle.hookDirectory + "/\(id).ready", go = bundle.hookDirectory + "/\(id).go"
        // The hook runs as the container's root, host uid 100000 with a user namespace.
        guard mkfifo(ready, 0o666) == 0, mkfifo(go, 0o666) == 0, chmod(ready, 0o666) == 0, chmod(go, 0o666) == 0 else {
            throw IsoprobeError(.failed, "cannot make the hook FIFOs in \(bundle.hookDirectory)", cause: ErrorWords.of(errno: errno))
        }
        defer {
            unlink(ready)
            unlink(go)
        }
        let (spec, template) = try hookedConfig(for: bundle, workload: invocation.spec)
        do {
            try WorkingFile.write(Data(template.joined(separator: id).utf8), to: bundle.configPath)
        } catch {
            throw IsoprobeError(.failed, "cannot write \(bundle.configPath)", cause: WorkingFile.words(error))
        }
        let cgroupsPath = (spec.linux?.cgroupsPath ?? "/" + Self.idPlaceholder)
            .replacingOccurrences(of: Self.idPlaceholder, with: id)
        let cgroups = ContainerCgroups(cgroupsPath: cgroupsPath, hierarchy: hierarchy)
        // Released newest first by a sweep after a SIGKILL: the runtime's delete, then the
        // cgroups it may have left, then its state folder.
        let ledger = [ResourceLedger.shared.record(.directory(path: runtime.stateRoot + "/" + id))]
            + cgroups.directories.map { ResourceLedger.shared.record(.cgroup(path: $0)) }
            + [ResourceLedger.shared.record(.container(id: id, delete: runtime.command(["delete", "--force", id],
                                                                                     emptyFile: bundle.emptyFile)))]
        defer { ledger.reversed().forEach(ResourceLedger.shared.release) }

        let outPipe = try HelperCommand.pipe()
        let output = OutputTail(fd: outPipe.read, echo: invocation.echoOutput, limit: ChildProcess.stdoutLimit)
        let stderrFD = open(bundle.stderrLog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let spawned = Swift.Result {
            try HelperCommand.spawn(runtime.command(["run", "--bundle", bundle.directory, id], emptyFile: bundle.emptyFile),
                                    stdoutFD: outPipe.write, stderrFD: stderrFD)
        }
        Glibc.close(outPipe.write)
        if stderrFD >= 0 { Glibc.close(stderrFD) }
        let runtimePid: pid_t
        switch spawned {
        case .success(let pid): runtimePid = pid
        case .failure(let error):
            output.finish()
            throw error
        }

        var containerPid: pid_t = 0
        var runtimeReaped = false
        var runtimeStatus: Int32 = 0
        var usage = rusage()
        func reapRuntime() {
            guard !runtimeReaped else { return }
            _ = retryingOnInterrupt { wait4(runtimePid, &runtimeStatus, 0, &usage) }
            runtimeReaped = true
        }
        /// On any failure: stop everything, let the runtime finish, delete what it left.
        func abandon() {
            if containerPid > 0 { kill(containerPid, SIGKILL) }
            kill(runtimePid, SIGKILL)
            reapRuntime()
            _ = try? runtimeCommand(["delete", "--force", id], bundleDirectory: bundle.directory)
            cgroups.removeLeftovers()
            output.finish()
        }

        do {
            PausePoint.reached(.runtimeCreate)
            try Self.awaitHook(ready, runtimePid: runtimePid) {
                let said = Self.lastLine(of: bundle.stderrLog)
                if let path = options.ociConfigPath {
                    throw IsoprobeError(.failed, "\(runtime.name) refused --oci-config \(path)", cause: Self.runtimeWords(said))
                }
                throw IsoprobeError(.failed, "\(runtime.name) run exited before the container was ready", cause: said)
            }
            // The hook runs in the container's pid namespace (the state it is given names
            // pid 1, or 0 with crun); the host's pid of that process is the runtime's child.
            containerPid = try Self.containerProcess(of: runtimePid)
            try plugNetwork(into: containerPid)
            PausePoint.reached(.hook)
            var target = try ContainerCgroups.target(ofProcess: containerPid, hierarchy: hierarchy)
            // Its exit status, which `<runtime> run` only passes on folded into one byte.
            target.leaderPid = containerPid
            let setupNs = ChildProcess.elapsed(setupStart, ChildProcess.now())

            try observer.targetReady(target)
            let interruptToken = Interruption.shared.onInterrupt { [containerPid] in kill(containerPid, SIGKILL) }
            defer { Interruption.shared.remove(interruptToken) }

            let baseline = CPUBaseline.read(pid: containerPid)
            let footprint = Self.footprint(runtimePid: runtimePid, cgroupDirectories: cgroups.directories)
            let start = ChildProcess.now()
            try Self.release(go, runtimePid: runtimePid)
            let deadline = WorkloadDeadline(invocation.timeout) { [containerPid] in kill(containerPid, SIGKILL) }
            PausePoint.reached(.workload)
            reapRuntime()
            let end = ChildProcess.now()
            let timedOut = deadline.disarm()
            observer.workloadFinished()

            let teardownStart = ChildProcess.now()
            let stdout = output.finish()
            cgroups.removeLeftovers()
            let teardownNs = ChildProcess.elapsed(teardownStart, ChildProcess.now())

            let exit = Self.describeRuntimeExit(runtimeStatus, timedOut: timedOut)
            if !exit.succeeded { Self.echoTail(of: bundle.stderrLog) }
            var details = self.details
            details.profile = profileLines(for: bundle, spec: spec)
            if BlockDeviceNeed.bytes(for: invocation.spec) != nil { details.blockPath = block.current?.path }
            // wait4 on the runtime: its own CPU is in there too; the probes' per-task account
            // replaces these figures when the sched probe is attached.
            var outcome = ProcessOutcome(exit: exit, wallNs: ChildProcess.elapsed(start, end),
                                         userNs: ChildProcess.nanos(usage.ru_utime),
                                         systemNs: ChildProcess.nanos(usage.ru_stime),
                                         maxRSSBytes: UInt64(max(usage.ru_maxrss, 0)) * 1024, stdout: stdout,
                                         timedOut: timedOut)
            outcome.startNs = ChildProcess.nanos(start)
            var run = EnvironmentRun(outcome: outcome, target: target, setupNs: setupNs, teardownNs: teardownNs,
                                     details: details, workloadStartNs: outcome.startNs)
            run.cpuBeforeStart = baseline
            run.footprint = footprint
            return run
        } catch {
            observer.workloadFinished()
            abandon()
            throw error
        }
    }

    private var profiles: [String: [String]] = [:]
    private var configs: [String: (Spec, [String])] = [:]
    static let idPlaceholder = "@ISOPROBE_CONTAINER_ID@"

    /// The run's config with isoprobe's startContainer hook and the FIFO directory mounted,
    /// encoded once per bundle with a placeholder for the container id (a run only
    /// substitutes it: encoding the profile's few hundred seccomp names each time is not free).
    func hookedConfig(for bundle: ContainerBundle, workload: WorkloadSpec) throws -> (Spec, [String]) {
        if let cached = configs[bundle.directory] { return cached }
        let id = Self.idPlaceholder
        var spec = try spec(for: bundle, workload: workload, id: id, cgroupsPath: "/" + id)
        var hooks = spec.hooks ?? Hooks()
        let inside = ContainerBundle.hookMountPoint
        hooks.startContainer = (hooks.startContainer ?? []) + [Hooks.Hook(
            path: "/bin/sh",
            // Shell built-ins only: no program to exec inside the container on the timed path.
            args: ["sh", "-c", "echo ready > \"$0\" && read -r go < \"$1\" && [ \"$go\" = go ]",
                   "\(inside)/\(id).ready", "\(inside)/\(id).go"],
            timeout: 120)]
        spec.hooks = hooks
        spec.mounts = (spec.mounts ?? []) + [Mount(destination: inside, type: "bind", source: bundle.hookDirectory,
                                                   options: ["bind", "rw", "nosuid", "nodev", "noexec"])]
        if userConfig != nil {
            userConfigChanges += [
                ConfigChange("hooks.startContainer", "+ /bin/sh in isoprobe's root, shell built-ins only",
                             because: "it hands the container's first process to isoprobe and waits until the probes are attached"),
                ConfigChange("mounts", "+ \(inside) (bind of a host folder with two FIFOs; rw, noexec, nosuid, nodev)",
                             because: "the hook's hand-over with isoprobe"),
            ]
        }
        let template = String(decoding: try spec.encoded(), as: UTF8.self).components(separatedBy: id)
        configs[bundle.directory] = (spec, template)
        return (spec, template)
    }

    func profileLines(for bundle: ContainerBundle, spec: Spec) -> [String] {
        if let lines = profiles[bundle.directory] { return lines }
        let lines = OCIConfigSummary(spec).lines
        profiles[bundle.directory] = lines
        return lines
    }

    /// The runtime's child: the container's first process, as the host sees it.
    static func containerProcess(of runtimePid: pid_t) throws -> pid_t {
        // The first process waits in the hook; the hook's own shell is its child, not the runtime's.
        guard let pid = ProcFS.children(of: runtimePid).first else {
            throw IsoprobeError(.failed, "cannot find the container's first process (no child of the runtime, pid \(runtimePid))")
        }
        return pid
    }

    /// Waits for the hook's line in the FIFO (the container is set up and waiting),
    /// giving up if the runtime exits first.
    static func awaitHook(_ fifo: String, runtimePid: pid_t, runtimeExited: () throws -> Never) throws {
        let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw IsoprobeError(.failed, "cannot open \(fifo)", cause: ErrorWords.of(errno: errno))
        }
        defer { Glibc.close(fd) }
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) > 0 {
                let got = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 64) }
                if got > 0 { return }
                // No writer yet: a FIFO reads as end-of-file until the hook opens it.
                usleep(1000)
            }
            if hasExited(runtimePid) { try runtimeExited() }
            try Interruption.shared.check()
        }
    }

    /// Whether a child has exited, without reaping it (its status is read later).
    static func hasExited(_ pid: pid_t) -> Bool {
        ProcFS.stat(of: pid)?.hasExited ?? true
    }

    /// Lets the hook return, and with it the runtime start the workload. A hook that is gone
    /// (its container killed, the run interrupted) never opens its end: no reason to wait.
    static func release(_ fifo: String, runtimePid: pid_t) throws {
        let deadline = Date().addingTimeInterval(10)
        while true {
            try Interruption.shared.check()
            if hasExited(runtimePid) {
                throw IsoprobeError(.failed, "the runtime exited before its startContainer hook was released")
            }
            let fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 {
                defer { Glibc.close(fd) }
                _ = "go\n".withCString { write(fd, $0, 3) }
                return
            }
            // ENXIO: the hook has not opened its end yet.
            guard errno == ENXIO, Date() < deadline else {
                throw IsoprobeError(.failed, "cannot release the startContainer hook", cause: ErrorWords.of(errno: errno))
            }
            usleep(200)
        }
    }

    /// `runtime run` exits with the container's status, or 128 + the signal that killed it.
    static func describeRuntimeExit(_ status: Int32, timedOut: Bool) -> ExitDescription {
        let sig = status & 0x7f
        if sig == 0 {
            let code = (status >> 8) & 0xff
            if code > 128 && code < 128 + 65 {
                return ChildProcess.describe(status: code - 128, timedOut: timedOut)
            }
        }
        return ChildProcess.describe(status: status, timedOut: timedOut)
    }

    static func lastLine(of path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").last.map(String.init) ?? "no message"
        // runc logs as `time=... level=error msg="..."`: keep the message.
        if let range = line.range(of: "msg=") {
            return String(line[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return line
    }

    /// What a runtime said, without the wrapping every one of its errors carries
    /// ("runc run failed: unable to start container process: ...").
    static func runtimeWords(_ line: String) -> String {
        var said = Substring(line)
        for prefix in ["runc run failed: ", "crun: ", "unable to start container process: ", "error during container init: "]
        where said.hasPrefix(prefix) {
            said = said.dropFirst(prefix.count)
        }
        return String(said)
    }

    /// A failed workload's own error lines, which went to the bundle's log.
    static func echoTail(of path: String) {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return }
        FileHandle.standardError.write(data.suffix(4096))
    }
}
