import Container
import Environments
import Foundation
import Host
import IsoprobeCore
import KVM
import Probes

/// The guest host's side of `isoprobe host-paths` (`--inside`): runs each path with isoprobe's
/// own commands - `isoprobe run` for the runs, the KVM calibration and the kvm exit probes in
/// process - and writes one JSON line per path to the report channel as it finishes.
public struct GuestHostRunner {
    /// isoprobe itself: the same binary, read from the host's root.
    let binary: String
    let probesDirectory: String
    let report: Int32

    public init(binary: String, probesDirectory: String, report: Int32) {
        self.binary = binary
        self.probesDirectory = probesDirectory
        self.report = report
    }

    public func run(_ paths: [HostPath]) {
        write(GuestHostLine(facts: Self.facts()))
        for path in paths {
            let start = ContinuousClock.now
            var figures = HostPathFigures()
            var failure: String?
            do {
                try measure(path, into: &figures)
            } catch {
                failure = "\(error)"
            }
            if path.runtime != nil || path == .cgroup2Native || path == .kvmOverride {
                figures.leftovers = Self.leftovers()
            }
            write(GuestHostLine(report: HostPathReport(path: path, seconds: GuestHost.seconds(ContinuousClock.now - start),
                                                       figures: figures, error: failure)))
        }
    }

    private func write(_ line: GuestHostLine) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var data = try? encoder.encode(line) else { return }
        data.append(UInt8(ascii: "\n"))
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(report, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    // MARK: - Paths

    func measure(_ path: HostPath, into f: inout HostPathFigures) throws {
        switch path {
        case .cgroup2Native:
            try record(run(["--workload", "getpid:count=\(HostPath.getpidCalls)"]), into: &f)
        case .runc, .crun:
            try record(run(container(path) + ["--workload", "getpid:count=\(HostPath.getpidCalls)"]), into: &f)
        case .runcOOMKill, .crunOOMKill:
            try record(run(container(path) + ["--memory", HostPath.memoryLimit, "--workload", "memhog:mib=\(HostPath.memhogMiB)"]),
                       into: &f)
        case .runcPidsLimit, .crunPidsLimit:
            try record(run(container(path) + ["--pids", "\(HostPath.pidsLimit)",
                                              "--workload", "forkbomb:count=\(HostPath.forkAttempts),hold_ms=300"]), into: &f)
        case .kvmCalibration:
            let c = KVMCalibration.run()
            f.verdict = Self.word(c.verdict)
            f.verdictLine = c.description
            f.nsPerInstruction = c.nsPerInstruction
            f.vendorModule = c.host.vendorModule
            f.hypervisorSignature = c.host.hypervisorSignature
            f.emulator = c.host.emulator
        case .kvmExits:
            let probe = KVMExitProbe(directory: probesDirectory)
            defer { probe.close() }
            try probe.attach(target: nil)
            if let why = probe.unavailable { throw IsoprobeError(.missing, "the kvm exit probes: \(why)") }
            let c = KVMCalibration.run(iterations: 10_000, timeLimit: 10, portWrites: HostPath.portWrites)
            probe.workloadFinished()
            let exits = try probe.collect()
            f.portWrites = c.portWrites
            f.vendorModule = c.host.vendorModule
            f.kvmExits = exits.exits
            f.kvmEntries = exits.entries
            f.kvmPortIo = exits.portIO
            f.reasons = exits.reasons.map { .init(isa: $0.isa, name: $0.name, count: $0.count, exitToEntryNs: $0.totalNs) }
        case .kvmOverride:
            let workload = ["--env", "vm", "--accel", "kvm", "--workload", "getpid:count=\(HostPath.overrideGetpidCalls)"]
            let refusal = try isoprobe(["run", "--no-history", "--quiet"] + workload, timeout: 120)
            f.refusalStatus = refusal.result.status
            f.refusalSeconds = refusal.seconds
            f.refusalLine = refusal.result.stderr.split(separator: "\n").first.map { String($0.prefix(400)) }
            try record(run(workload + ["--no-calibration"], timeout: 400), into: &f)
        }
    }

    func container(_ path: HostPath) -> [String] {
        ["--env", "container", "--runtime", path.runtime ?? "runc"]
    }

    /// `isoprobe run --no-history --quiet --json FILE ARGS`: its one run, whatever the exit,
    /// and the cgroup layout its document names.
    func run(_ arguments: [String], timeout: TimeInterval = 180) throws -> (run: RunResult, layout: String) {
        let json = TemporaryDirectory.base + "/host-paths-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { unlink(json) }
        let done = try isoprobe(["run", "--no-history", "--quiet", "--json", json] + arguments, timeout: timeout)
        guard let data = FileManager.default.contents(atPath: json) else {
            throw IsoprobeError(.failed, "isoprobe run \(arguments.joined(separator: " ")) wrote no document (exit \(done.result.status))",
                                cause: String(done.result.stderr.prefix(400)))
        }
        let doc = try ResultDocument.decoder().decode(ResultDocument.self, from: data)
        guard let first = doc.runs.first else {
            throw IsoprobeError(.failed, "isoprobe run \(arguments.joined(separator: " ")) recorded no run",
                                cause: String(done.result.stderr.prefix(400)))
        }
        return (first, doc.host.cgroupLayout)
    }

    func isoprobe(_ arguments: [String], timeout: TimeInterval) throws -> (result: HelperCommand.Result, seconds: Double) {
        let start = Date()
        let result = try HelperCommand.run([binary] + arguments, timeout: timeout)
        return (result, Date().timeIntervalSince(start))
    }

    func record(_ measured: (run: RunResult, layout: String), into f: inout HostPathFigures) throws {
        let run = measured.run
        f.cgroupLayout = measured.layout
        f.getpidCalls = run.syscall("getpid")?.count
        f.ops = run.workloadReport?.ops
        f.exitKind = run.exit.kind
        f.peakRssBytes = run.memory?.peakRssBytes
        if let runtime = run.details?.runtime {
            f.runtime = runtime.name
            f.runtimeVersion = runtime.version
            // The rule the run itself applied, on this host's layout.
            f.hybridWorkaround = try OCIRuntime.resolve(runtime.path, hierarchy: CgroupHierarchy.detect()).hidesHybridControllers
        }
        f.oomKills = run.details?.limitEvents?.oomKills
        f.pidsLimitHits = run.details?.limitEvents?.pidsLimitHits
        if let report = run.workloadReport {
            f.forked = report.extra["forked"].flatMap(Int.init)
            f.refused = report.extra["refused"].flatMap(Int.init)
        }
        if let clone = run.syscall("clone") {
            f.cloneEagain = clone.errnos.first { $0.errno == "EAGAIN" }?.count ?? 0
        }
        // Under KVM the run's host view has QEMU's VM exits by reason (the VM environment's own probe).
        if let kvm = run.hostView?.kvm {
            f.kvmExits = kvm.exits
            f.kvmEntries = kvm.entries
            f.kvmPortIo = kvm.portIO
            f.reasons = kvm.reasons.map { .init(isa: $0.isa, name: $0.name, count: $0.count, exitToEntryNs: $0.totalNs) }
        }
        f.accelerator = run.details?.accelerator
        f.guestKernel = run.details?.guestKernel
        f.bootSeconds = run.details?.bootNs.map { Double($0) / 1e9 }
    }

    // MARK: - The guest host itself

    static func facts() -> GuestHostFacts {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let hierarchy = try? CgroupHierarchy.detect()
        let controllers = hierarchy.flatMap { try? String(contentsOfFile: $0.mountPoint + "/cgroup.controllers", encoding: .utf8) }
        let flagsLine = (ProcFS.cpuinfo() ?? "").split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        let flags = flagsLine.split(separator: " ").map(String.init).filter { ["svm", "npt", "vmx", "ept", "hypervisor"].contains($0) }
        let modules = ["kvm", "kvm_amd", "kvm_intel"].filter { access("/sys/module/" + $0, F_OK) == 0 }
        return GuestHostFacts(kernelRelease: release, cgroupLayout: hierarchy?.layout.rawValue ?? "none",
                              cgroupControllers: (controllers ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                              cpuFlags: flags, kvmModules: modules, kvmDevice: access("/dev/kvm", F_OK) == 0,
                              hypervisorSignature: KVMCalibration.FirstLevelHost.signature(),
                              clocksource: (try? String(contentsOfFile: "/sys/devices/system/clocksource/clocksource0/current_clocksource",
                                                        encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// What of isoprobe's is still in the guest host after a run: cgroups, runtime state,
    /// bundles, work and scratch folders.
    static func leftovers() -> [String] {
        let fm = FileManager.default
        var found: [String] = []
        func scan(_ dir: String, prefix: String = "isoprobe-") {
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(prefix) {
                found.append(dir + "/" + name)
            }
        }
        if let root = (try? CgroupHierarchy.detect())?.mountPoint { scan(root) }
        for runtime in (try? fm.contentsOfDirectory(atPath: "/run/isoprobe")) ?? [] {
            scan("/run/isoprobe/" + runtime, prefix: "")
        }
        scan(TemporaryDirectory.base)
        scan("/var/tmp")
        return found.sorted()
    }

    static func word(_ verdict: KVMCalibration.Verdict) -> String {
        switch verdict {
        case .usable: return "usable"
        case .emulated: return "emulated"
        case .unavailable: return "unavailable"
        case .hung: return "hung"
        case .emulatedHost: return "emulated-host"
        }
    }
}
