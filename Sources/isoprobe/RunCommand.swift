import ArgumentParser
import Container
import KVM
import Environments
import Foundation
import Harness
import IsoprobeCore
import Probes
import Reports

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run workloads under the probes and report what they did.",
        discussion: """
        Workloads are fixture names with parameters (getpid:count=100000) or any command after --:
          isoprobe run --workload pingpong:rounds=10000 --reps 5 --json out.json
          isoprobe run -- tar czf /tmp/x.tgz /usr/share/doc
        """)

    @Option(name: .customLong("env"), help: "Environments, comma-separated: native, container.")
    var environments: String = "native"

    @Option(name: .customLong("workload"), help: "Workload spec NAME[:key=value,...]; repeat for several.")
    var workloads: [String] = []

    @Option(name: .customLong("reps"), help: "Repetitions of each workload in each environment.")
    var repetitions: Int = 1

    @Option(name: .customLong("json"), help: "Write every figure to FILE (schema: docs/result-schema.md).")
    var jsonFile: String?

    @Option(name: .customLong("probes"), help: "Probe families: all, none, or a list of syscalls,sched,memory.")
    var probes: String = "all"

    @Option(name: .customLong("timeout"), help: "Kill a workload still running after this many seconds.")
    var timeout: Double?

    @Option(name: .customLong("runtime"), help: "OCI runtime for --env container: runc (default), crun, or a path.")
    var runtime: String = "runc"

    @Option(name: .customLong("cpus"), help: "Container CPU limit, e.g. 0.5 or 2.")
    var cpus: Double?

    @Option(name: .customLong("memory"), help: "Container memory limit, e.g. 64M or 1G.")
    var memory: String?

    @Option(name: .customLong("pids"), help: "Container limit on processes and threads.")
    var pids: Int64?

    @Option(name: .customLong("oci-config"), help: "Run containers with this config.json (process.args and root.path are replaced).")
    var ociConfig: String?

    @Option(name: .customLong("userns"), help: "Container user namespace: auto (where the runtime supports it), on, off.")
    var userns: String = "auto"

    @Option(name: .customLong("accel"), help: "VM accelerator: auto (KVM where it runs guest kernel code natively, else TCG), kvm, tcg.")
    var accel: String = "auto"

    @Option(name: .customLong("kernel"), help: "Guest kernel for --env vm (default: /boot's, else isoprobe's cache; `make kernel`).")
    var kernel: String?

    @Option(name: .customLong("vcpus"), help: "Guest vCPUs for --env vm.")
    var vcpus: Int = 1

    @Option(name: .customLong("vm-memory"), help: "Guest memory in MiB for --env vm.")
    var vmMemory: Int = 1024

    @Flag(name: .customLong("show-output"), help: "Copy the workload's standard output to ours.")
    var showOutput = false

    @Flag(name: .customLong("quiet"), help: "No text report (use with --json).")
    var quiet = false

    @OptionGroup var resources: ResourceOptions

    @Argument(parsing: .postTerminator, help: "A command to run as the workload.")
    var command: [String] = []

    func validate() throws {
        if workloads.isEmpty && command.isEmpty {
            throw ValidationError("name a workload: --workload NAME[:key=value,...] or -- COMMAND ARGS...")
        }
        if repetitions < 1 { throw ValidationError("--reps must be at least 1") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if let cpus, cpus < 0.01 { throw ValidationError("--cpus must be at least 0.01 (the kernel refuses a quota under 1 ms per 100 ms), e.g. 0.5") }
        let containerFlags = [cpus.map { _ in "--cpus" }, memory.map { _ in "--memory" }, pids.map { _ in "--pids" },
                              ociConfig.map { _ in "--oci-config" }, userns != "auto" ? "--userns" : nil,
                              runtime != "runc" ? "--runtime" : nil].compactMap { $0 }
        if !environments.split(separator: ",").contains("container"), let flag = containerFlags.first {
            throw ValidationError("\(flag) applies to containers: add container to --env (e.g. --env native,container)")
        }
        if ociConfig != nil && userns != "auto" {
            throw ValidationError("--userns cannot be combined with --oci-config: the config's linux.namespaces decide")
        }
        if let pids, pids <= 0 { throw ValidationError("--pids must be positive") }
        if let memory, ByteSize.parse(memory) == nil {
            throw ValidationError("--memory: '\(memory)' is not a size; write e.g. 64M, 512M or 2G")
        }
        if !["auto", "on", "off"].contains(userns) { throw ValidationError("--userns takes auto, on or off") }
        if AccelRequest(rawValue: accel) == nil { throw ValidationError("--accel takes auto, kvm or tcg") }
        if vcpus < 1 || vmMemory < 256 { throw ValidationError("--vcpus must be at least 1 and --vm-memory at least 256") }
    }

    func run() throws {
        Interruption.shared.install()
        var specs: [WorkloadSpec] = []
        var collected: [RunResult] = []
        var host: HostFacts?
        do {
            specs = try workloads.map(WorkloadSpec.parse)
            if !command.isEmpty { specs.append(.command(command)) }
            var request = RunRequest(
                environments: environments.split(separator: ",").map(String.init), workloads: specs,
                repetitions: repetitions, probeFamilies: try ProbeFamily.parseList(probes), timeout: timeout,
                echoOutput: showOutput,
                container: .init(runtime: runtime,
                                 limits: .init(cpus: cpus, memoryBytes: memory.flatMap(ByteSize.parse), pids: pids),
                                 ociConfigPath: ociConfig,
                                 userNamespace: userns == "auto" ? nil : userns == "on"))
            request.vm = .init(kernelPath: kernel, vcpus: vcpus, memoryMiB: vmMemory)
            request.accel = AccelRequest(rawValue: accel) ?? .auto
            try Doctor.requireRunPrerequisites()
            let runner = try Runner(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            host = HostFacts.current(cgroupLayout: runner.hierarchy.layout.rawValue)
            try runner.validate(request)
            let total = request.repetitions * specs.count * request.environments.count
            try runner.run(request) { result in
                collected.append(result)
                if !quiet && total > 1 {
                    FileHandle.standardError.write(Data(
                        "[\(collected.count)/\(total)] \(result.environment) \(result.workload.spec) rep \(result.repetition): \(result.exit.description), wall \(Format.duration(ns: result.wallNs))\n".utf8))
                }
                // Saved after every run, so an interruption keeps what finished.
                if let jsonFile, let host { try? write(ResultDocument(host: host, runs: collected), to: jsonFile) }
            }
        } catch {
            if let jsonFile, let host, !collected.isEmpty {
                try? write(ResultDocument(host: host, runs: collected), to: jsonFile)
                FileHandle.standardError.write(Data("isoprobe: \(collected.count) finished runs saved to \(jsonFile)\n".utf8))
            }
            fail(error)
        }
        let document = ResultDocument(host: host!, runs: collected)
        if let jsonFile {
            do { try write(document, to: jsonFile) } catch {
                fail(IsoprobeError(.failed, "cannot write --json \(jsonFile)", cause: "\(error)"))
            }
        }
        if !quiet { print(TextReport().render(document), terminator: "") }
        if let failed = collected.first(where: { !$0.exit.succeeded }) {
            FileHandle.standardError.write(Data("isoprobe: workload \(failed.workload.spec) in \(failed.environment) \(failed.exit.description)\n".utf8))
            throw ExitCode(4)
        }
    }

    func write(_ document: ResultDocument, to path: String) throws {
        let data = try document.jsonData()
        let tmp = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: tmp))
        if rename(tmp, path) != 0 { throw IsoprobeError(.failed, "rename \(tmp)", cause: String(cString: strerror(errno))) }
    }
}

/// Sizes as people write them: 64M, 512MiB, 2G, 1048576.
enum ByteSize {
    static func parse(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int64)] = [("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("G", 1 << 30),
                                        ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v > 0 else { return nil }
            return Int64(v * Double(factor))
        }
        guard let v = Int64(t), v > 0 else { return nil }
        return v
    }
}
