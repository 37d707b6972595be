import ArgumentParser
import Container
import Diagnostics
import Environments
import Foundation
import Harness
import History
import Host
import IsoprobeCore
import KVM
import Probes
import Reports
import VMEnvironment

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run workloads under the probes and report what they did.",
        discussion: """
        Workloads are fixture names with parameters (getpid:count=100000) or any command after --:
          isoprobe run --workload pingpong:rounds=10000 --reps 5 --json out.json
          isoprobe run -- tar czf /tmp/x.tgz /usr/share/doc
        """)

    @Option(name: .customLong("env"), help: "Environments, comma-separated, each once: native, container, container-host (a container in the host's network namespace), vm.")
    var environments = EnvironmentList([.native])

    @Option(name: .customLong("workload"), help: "Workload spec NAME[:key=value,...]; repeat for several.")
    var workloads: [String] = []

    @Option(name: .customLong("reps"), help: "Repetitions of each workload in each environment (default 1; a suite sets its own).")
    var repetitionsOption: Int?

    /// 1 for a quick look; with a precision target, the rounds an exact paired test needs to
    /// reach p < 0.01 at all.
    var repetitions: Int { repetitionsOption ?? (precision != nil ? Self.minimumRounds : 1) }
    static let minimumRounds = 8
    var repetitionsGiven: Bool { repetitionsOption != nil }

    @Option(name: .customLong("json"), help: "Write every figure to FILE (schema: docs/result-schema.md).")
    var jsonFile: String?

    @Option(name: .customLong("probes"), help: "Probe families: all, none, or a list of syscalls,sched,memory.")
    var probes = ProbeSelection(ProbeFamily.allCases)

    @Option(name: .customLong("timeout"), help: "Kill a workload still running after this many seconds.")
    var timeout: Double?

    @Option(name: .customLong("cpus"), help: "Container CPU limit, e.g. 0.5 or 2.")
    var cpus: Double?

    @Option(name: .customLong("memory"), help: "Container memory limit, e.g. 64M or 1G.")
    var memory: String?

    @Option(name: .customLong("pids"), help: "Container limit on processes and threads.")
    var pids: Int64?

    @Option(name: .customLong("oci-config"), help: "Run containers with this config.json (process.args and root.path are replaced, process.terminal turned off).")
    var ociConfig: String?

    @Option(name: .customLong("userns"), help: "Container user namespace: auto (where the runtime supports it), on, off.")
    var userns = UserNamespaceMode.auto

    @Option(name: .customLong("network"), help: "Container network: bridge (its own namespace on isoprobe's bridge; the default for network workloads), host (the host's namespace, reported as container-host), none (loopback only), or bridge,host (both variants in one plan, container-host judged against container by paired rounds).")
    var networkModes: NetworkModes?

    /// The container environment's own network.
    var network: NetworkMode? { networkModes?.containerMode }

    @Option(name: .customLong("vcpus"), help: "Guest vCPUs for --env vm.")
    var vcpus: Int = 1

    @Option(name: .customLong("vm-memory"), help: "Guest memory in MiB for --env vm.")
    var vmMemory: Int = 1024

    @Flag(name: .customLong("vm-fresh"), help: "Boot a fresh guest for every VM run (default: one guest serves every run, paused between them).")
    var vmFresh = false

    @Flag(name: .customLong("show-output"), help: "Copy the workload's standard output to ours.")
    var showOutput = false

    @Flag(name: .customLong("quiet"), help: "No text report (use with --json).")
    var quiet = false

    @Flag(name: .customLong("detail"), help: "Add per-syscall tables, histograms, scheduling and the side-by-side tables to the text report (the Markdown, HTML and JSON always have them).")
    var detail = false

    @Option(name: .customLong("suite"), help: "Run a suite file (TOML; see fixtures/suites/default.toml).")
    var suiteFile: String?

    @Option(name: .customLong("warmups"), help: "Discarded runs before the measured ones, per workload and environment.")
    var warmups: Int?

    @Option(name: .customLong("threshold"), help: "Relative difference under which nothing is called significant (default 0.05).")
    var threshold: Double?

    @Option(name: .customLong("precision"), help: "Go on with rounds until each ratio to native (primary metric, wall and CPU time) is known within ± this fraction, e.g. 0.03 (at least 8 rounds).")
    var precision: Double?

    @Option(name: .customLong("max-time"), help: "With --precision: start no round after this many seconds (default 600).")
    var maxTime: Double?

    @Option(name: .customLong("max-reps"), help: "With --precision: rounds per workload at most (default 100).")
    var maxReps: Int?

    @Option(name: .customLong("out"), help: "Write every report format into this folder (text, Markdown, JSON, CSV, OpenMetrics, HTML, Chrome trace).")
    var outDirectory: String?

    @OptionGroup var guest: GuestOptions

    @OptionGroup var historyOptions: HistoryOptions

    // Here, not among the history options that history, compare and export share: only a run records.
    @Flag(name: .customLong("no-history"), help: "Do not record this run in the history database.")
    var noHistory = false

    @OptionGroup var resources: ResourceOptions

    @Argument(parsing: .postTerminator, help: "A command to run as the workload.")
    var command: [String] = []

    func validate() throws {
        if suiteFile != nil {
            if !workloads.isEmpty || !command.isEmpty {
                throw ValidationError("--suite names its own workloads: drop --workload and the command, or drop --suite")
            }
        } else if workloads.isEmpty && command.isEmpty {
            throw ValidationError("name a workload: --workload NAME[:key=value,...], -- COMMAND ARGS..., or --suite FILE")
        }
        if repetitions < 1 { throw ValidationError("--reps must be at least 1") }
        if let warmups, warmups < 0 { throw ValidationError("--warmups must be 0 or more") }
        if let threshold, !(threshold > 0 && threshold < 1) { throw ValidationError("--threshold must be between 0 and 1, e.g. 0.05") }
        if let precision, !(precision > 0 && precision < 1) { throw ValidationError("--precision must be between 0 and 1, e.g. 0.03") }
        if let maxTime, !(maxTime > 0 && maxTime.isFinite) { throw ValidationError("--max-time must be a positive number of seconds, e.g. 300") }
        if let maxReps, maxReps < 2 { throw ValidationError("--max-reps must be at least 2") }
        if precision == nil, maxTime != nil || maxReps != nil {
            throw ValidationError("--max-time and --max-reps limit the rounds --precision adds: add --precision, e.g. 0.03")
        }
        if let timeout, !(timeout > 0 && timeout.isFinite) {
            throw ValidationError("--timeout must be a positive number of seconds, e.g. 30")
        }
        if let cpus, let problem = ContainerLimitRules.cpusProblem(cpus) { throw ValidationError("--cpus \(cpus): \(problem)") }
        let containerFlags = [cpus.map { _ in "--cpus" }, memory.map { _ in "--memory" }, pids.map { _ in "--pids" },
                              ociConfig.map { _ in "--oci-config" }, userns != .auto ? "--userns" : nil,
                              networkModes.map { _ in "--network" }].compactMap { $0 }
        let envs = environments.kinds
        if suiteFile == nil, !envs.contains(where: \.isContainer), let flag = containerFlags.first {
            throw ValidationError("\(flag) applies to containers: add container to --env (e.g. --env native,container)")
        }
        if suiteFile == nil { try guest.checkApplies(to: envs) }
        if let problem = networkModes?.problem { throw ValidationError(problem) }
        if (networkModes?.modes.contains(.host) == true || envs.contains(.containerHost)) && userns == .on {
            throw ValidationError("--network host (and container-host) cannot be combined with --userns on: a user namespace cannot mount sysfs for the host's network namespace")
        }
        if ociConfig != nil && userns != .auto {
            throw ValidationError("--userns cannot be combined with --oci-config: the config's linux.namespaces decide")
        }
        if let pids, pids <= 0 { throw ValidationError("--pids must be positive") }
        try GuestOptions.checkOCIConfig(ociConfig)
        if let memory {
            guard let bytes = ByteSize.parse(memory) else {
                throw ValidationError("--memory: '\(memory)' is not a size; write e.g. 64M, 512M or 2G")
            }
            if let problem = ContainerLimitRules.memoryProblem(bytes) { throw ValidationError("--memory \(memory): \(problem)") }
        }
        if vcpus < 1 || vmMemory < 256 { throw ValidationError("--vcpus must be at least 1 and --vm-memory at least 256") }
    }

    /// The request from the flags.
    func requestFromFlags() throws -> RunRequest {
        var specs = try workloads.map(WorkloadSpec.parse)
        if !command.isEmpty { specs.append(.command(command)) }
        var request = RunRequest(
            environments: networkModes?.environments(environments.kinds) ?? environments.kinds, workloads: specs,
            repetitions: repetitions, probeFamilies: probes.families, timeout: timeout,
            echoOutput: showOutput,
            container: .init(runtime: guest.runtime,
                             limits: .init(cpus: cpus, memoryBytes: memory.flatMap(ByteSize.parse), pids: pids),
                             ociConfigPath: ociConfig,
                             userNamespace: userns.choice, network: network))
        request.vm = .init(kernelPath: guest.kernel, accel: guest.accel ?? .auto, vcpus: vcpus, memoryMiB: vmMemory,
                           fresh: vmFresh)
        request.vm.calibrate = !guest.noCalibration
        request.warmups = warmups ?? 0
        return request
    }

    func run() throws {
        Interruption.shared.install()
        Leftovers.sweepWithNotice()
        var recorder: RunRecorder?
        var method = SummaryMethod(repetitions: repetitions, warmups: warmups ?? 0, order: RunRequest.orderDescription,
                                   threshold: threshold ?? 0.05, test: SummaryMethod.pairedTest)
        do {
            // Checked before anything runs: a bad --db is bad input.
            if !noHistory { _ = try historyOptions.location() }
            var request: RunRequest
            let suite = try suiteFile.map { try SuiteRequest.load(path: $0, flags: self) }
            if let suite {
                request = suite.request
                method.threshold = threshold ?? suite.suite.threshold
            } else {
                request = try requestFromFlags()
            }
            method.repetitions = request.items.map(\.repetitions).max() ?? request.repetitions
            method.warmups = request.warmups
            request.precision = precision ?? suite?.suite.precision
            method.precisionTarget = request.precision
            if let maxTime = maxTime ?? suite?.suite.maxTime { request.maxTime = maxTime }
            if let maxReps { request.maxRepetitions = maxReps }
            request.method = method
            try Doctor.requireRunPrerequisites()
            try Scratch.checkBase()
            let runner = try Runner(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            try suite?.checkWorkloads(catalog: runner.catalog)
            let rec = try RunRecorder(host: HostFacts.current(cgroupLayout: runner.hierarchy.layout.rawValue),
                                      history: noHistory ? nil : historyOptions, command: CommandLine.arguments, suite: suite?.suite.path,
                                      method: method, jsonFile: jsonFile)
            recorder = rec
            let progress = RunProgress(schedule: request.schedule)
            if !quiet && request.schedule.count > 1 { rec.progress = progress }
            for kind in Set(request.items.flatMap(\.environments)) { request.settings(for: kind)?.describe(host: &rec.host) }
            try runner.run(request) { event in
                if case .stopped(let reason) = event { method.stoppedBy = reason }
                rec.handle(event)
            }
            rec.finish(rec.failures.isEmpty ? .complete : .failed)
        } catch {
            let interrupted = (error as? IsoprobeError)?.kind == .interrupted
            if interrupted { method.stoppedBy = .interrupted }
            recorder?.finish(interrupted ? .interrupted : .failed)
            if let recorder, let jsonFile, !recorder.runs.isEmpty {
                try? RunRecorder.write(recorder.document(), to: jsonFile)
                FileHandle.standardError.write(Data("isoprobe: \(recorder.runs.count) finished runs saved to \(jsonFile)\n".utf8))
            }
            fail(error)
        }
        let rec = recorder!
        // Rounds a precision target added count too.
        method.repetitions = max(method.repetitions, rec.runs.map(\.repetition).max() ?? 0)
        PausePoint.reached(.reports)
        let document = rec.document(summary: Outputs.summary(rec.runs, method: method))
        do {
            if let jsonFile { try RunRecorder.write(document, to: jsonFile) }
            if let outDirectory { try Outputs.writeAll(document, to: outDirectory, detail: detail) }
        } catch {
            fail(error)
        }
        // A signal while the reports were written: they are whole, and the run says it was stopped.
        if let sig = Interruption.shared.signal { fail(Interruption.error(sig)) }
        if !quiet { print(Outputs.terminalText(document, detail: detail), terminator: "") }
        for (planned, error) in rec.failures {
            FileHandle.standardError.write(Data("isoprobe: \(planned.spec.text) in \(planned.environment) could not run: \(ErrorWords.of(error))\n".utf8))
        }
        if let failed = rec.runs.first(where: { !$0.exit.succeeded }) {
            FileHandle.standardError.write(Data("isoprobe: workload \(failed.workload.spec) in \(failed.environment) \(failed.exit.explained)\n".utf8))
            throw ExitCode(ExitStatus.workloadFailed.rawValue)
        }
        if !rec.failures.isEmpty { throw ExitCode(ExitStatus.failed.rawValue) }
    }
}
