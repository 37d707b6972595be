import BPF
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import Probes

/// What the probes cost I/O-bound work: a job on one loop device (direct I/O) over a backing
/// file under the scratch location, run directly (no cgroup, no probe) and natively under
/// isoprobe with no probe, each probe family alone, and all of them (with the block probe).
/// Every round runs each mode once, the order rotating; each mode's figure is the median over
/// rounds of its IOPS over the same round's direct IOPS. The job is a user's fio job file
/// (`fio:job=FILE`, the same shell command `run` gives it, on the same device), or 4 KiB
/// random reads at QD1 with O_DIRECT: fio with psync (the engine the storage studies use for
/// QD1), or blockio.
public final class BlockObserverBench {
    public enum Mode: String, CaseIterable, Sendable {
        case direct, none, syscalls, sched, memory, all

        var families: [ProbeFamily]? {
            switch self {
            case .direct: return nil
            case .none: return []
            case .syscalls: return [.syscalls]
            case .sched: return [.sched]
            case .memory: return [.memory]
            case .all: return ProbeFamily.allCases
            }
        }

        var label: String {
            switch self {
            case .direct: return "directly (no isoprobe)"
            case .none: return "isoprobe --probes none"
            case .all: return "isoprobe --probes all (+ block probe)"
            default: return "isoprobe --probes \(rawValue)"
            }
        }
    }

    /// What runs: the same argv directly and under isoprobe.
    public enum Job: Sendable {
        /// 4 KiB random reads at QD1 for `seconds`: fio psync, or blockio where fio is missing.
        case randomReads(engine: String, seconds: Double)
        /// A fio job file, for as long as it runs.
        case file(String)
    }

    public struct Result: Sendable {
        public var job: String
        public var iops: [Mode: [Double]] = [:]
        /// Per round, each mode's IOPS over the same round's direct IOPS.
        public var ratios: [Mode: [Double]] = [:]
        /// Per mode, program (by name) and round: runs per I/O and ns per run, from the
        /// kernel's BPF run-time statistics, when they were asked for. Programs fire for every
        /// task on the host, so runs per I/O count the machine's other work too.
        public var programs: [Mode: [String: [(runsPerIO: Double, nsPerRun: Double)]]] = [:]

        /// Per program: the medians of runs per I/O and ns per run.
        static func medians(_ programs: [String: [(runsPerIO: Double, nsPerRun: Double)]]) -> [(name: String, runs: Double, ns: Double)] {
            programs.compactMap { name, samples in
                guard let r = Statistics.median(samples.map(\.runsPerIO)), let n = Statistics.median(samples.map(\.nsPerRun))
                else { return nil }
                return (name, r, n)
            }.sorted { $0.runs * $0.ns > $1.runs * $1.ns }
        }

        /// BPF time per I/O in a mode: the sum over its programs of runs per I/O times ns per run.
        public func bpfPerIO(_ mode: Mode) -> Double? {
            guard let p = programs[mode] else { return nil }
            return Self.medians(p).reduce(0) { $0 + $1.runs * $1.ns }
        }

        public func render() -> String {
            let rounds = iops[.direct]?.count ?? 0
            var out = "\(job), \(rounds) interleaved rounds; ratio = median of the rounds' paired ratios to direct:\n"
            out += "  " + "mode".padding(toLength: 40, withPad: " ", startingAt: 0) + "  median IOPS   ratio  [min, max]\n"
            for mode in Mode.allCases {
                guard let values = iops[mode], let m = Statistics.median(values) else { continue }
                var line = "  " + mode.label.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "  %11.0f", m)
                if let r = ratios[mode], let mr = Statistics.median(r) {
                    line += String(format: "  %5.3f  [%.3f, %.3f]", mr, r.min() ?? 0, r.max() ?? 0)
                }
                out += line + "\n"
            }
            guard !programs.isEmpty else { return out }
            out += "BPF programs per mode (the kernel's run-time statistics, medians over rounds; every task on the host fires them):\n"
            out += "  " + "mode / program".padding(toLength: 40, withPad: " ", startingAt: 0) + "  runs/IO  ns/run   ns/IO\n"
            for mode in Mode.allCases {
                guard let p = programs[mode], let total = bpfPerIO(mode) else { continue }
                out += "  " + mode.label.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "  %22.0f\n", total)
                for row in Self.medians(p) where row.runs >= 0.01 {
                    out += "    " + row.name.padding(toLength: 38, withPad: " ", startingAt: 0)
                        + String(format: "  %7.2f  %6.0f  %6.0f\n", row.runs, row.ns, row.runs * row.ns)
                }
            }
            let alone = [Mode.syscalls, .sched, .memory].compactMap(bpfPerIO)
            if alone.count == 3, let together = bpfPerIO(.all) {
                out += String(format: "  the families alone sum to %.0f ns of BPF per I/O; all of them together (with the block probe) %.0f\n",
                              alone.reduce(0, +), together)
            }
            return out
        }
    }

    let resources: Resources
    let hierarchy: CgroupHierarchy
    let catalog: WorkloadCatalog

    public init(resources: Resources) throws {
        self.resources = resources
        hierarchy = try CgroupHierarchy.detect()
        catalog = WorkloadCatalog(directory: resources.workloadsDirectory)
    }

    /// The job as isoprobe runs it (its spec and argv, which finds the device in
    /// $ISOPROBE_BLOCK), and its description.
    func workload(_ job: Job) throws -> (spec: WorkloadSpec, argv: [String], description: String) {
        switch job {
        case .file(let path):
            let spec = WorkloadSpec(name: FioJob.workloadName, parameters: [("job", path)])
            return (spec, try catalog.argv(for: spec), "fio job \(path)")
        case .randomReads(let engine, let seconds):
            let ms = Int(seconds * 1000)
            let what = "4 KiB random reads, O_DIRECT, QD1, \(String(format: "%.1f", seconds)) s per run"
            let argv: [String]
            if engine == "fio", let fio = HostTool.find("fio") {
                argv = ["/bin/sh", "-c", "exec \(fio) --name=observer --filename=\"$\(BlockDeviceNeed.environmentVariable)\" --rw=randread "
                        + "--bs=4k --direct=1 --ioengine=psync --runtime=\(ms)ms --time_based --output-format=json"]
                return (.command(argv), argv, "\(what) (fio psync)")
            }
            argv = try catalog.argv(for: WorkloadSpec(name: "blockio", parameters: [
                ("pattern", "randread"), ("bs", "4096"), ("qd", "1"), ("duration_ms", String(ms)),
            ]))
            return (.command(argv), argv, "\(what) (blockio libaio)")
        }
    }

    /// IOPS and I/Os from fio's JSON (summed over jobs and directions) or blockio's result line.
    static func figures(_ output: String) -> (iops: Double, ios: UInt64)? {
        if let report = WorkloadReport.parse(output: output), let iops = report.extra["iops"].flatMap(Double.init) {
            return (iops, report.ops)
        }
        guard let figures = BlockIOFigures(fio: FioJobFigures.parse(output: output), job: nil) else { return nil }
        return (figures.iops, figures.ios)
    }

    /// `programCosts` turns on the kernel's BPF run-time statistics for every mode: they
    /// explain the costs, but add two clock reads to every program run, so the IOPS of
    /// such rounds carry that too.
    public func run(rounds: Int, job: Job, programCosts: Bool = false, modes: [Mode] = Mode.allCases,
                    progress: (String) -> Void) throws -> Result {
        let (spec, argv, description) = try workload(job)
        // Sized as the run's own device would be: by the job's largest `size`, else 64 MiB.
        let device = try LoopBlockDevice(bytes: BlockDeviceNeed.bytes(for: spec) ?? BlockDeviceNeed.defaultBytes)
        defer { device.release() }
        var result = Result(job: description)
        // The same device for every mode.
        let env = NativeEnvironment(hierarchy: hierarchy, givenBlockDevice: device.loop.path)
        var environment = Runner.workloadEnvironment()
        environment[BlockDeviceNeed.environmentVariable] = device.loop.path
        let chosen = [Mode.direct] + modes.filter { $0 != .direct }
        let kernelDevice = BlockProbe.kernelDevice(ofNode: device.loop.path)
        let statistics = programCosts ? try ProgramStatistics.enable() : nil
        defer { if let statistics { close(statistics) } }
        for round in 1...rounds {
            var figures: [Mode: Double] = [:]
            // Rotated, so no mode always follows the same one.
            let order = chosen.indices.map { chosen[($0 + round - 1) % chosen.count] }
            for mode in order {
                try Interruption.shared.check()
                let output: String
                var programs: [ProgramStatistics.Entry] = []
                if let families = mode.families {
                    let session = ProbeSession(settings: .init(directory: resources.probesDirectory, families: families))
                    let block = mode == .all ? kernelDevice.map { BlockProbe(directory: resources.probesDirectory, device: $0) } : nil
                    defer {
                        session.close()
                        block?.close()
                    }
                    let observer = ObserverGroup([session] + (block.map { [$0] } ?? []))
                    let run = try env.run(WorkloadInvocation(spec: spec, argv: argv, environment: environment), observer: observer)
                    // This run's own programs (still open): what the probes cost during it.
                    if statistics != nil {
                        programs = ProgramStatistics.own()
                    }
                    guard run.outcome.exit.succeeded else {
                        var exit = run.outcome.exit
                        exit.keepLastWords(of: run.outcome.stdout)
                        throw IsoprobeError(.failed, "the job under isoprobe (\(mode.rawValue)) \(exit.explained)")
                    }
                    output = run.outcome.stdout
                } else {
                    let scratch = try Scratch.make()
                    defer { scratch.remove() }
                    let direct = ["/usr/bin/env", "\(BlockDeviceNeed.environmentVariable)=\(device.loop.path)", "TMPDIR=\(scratch.path)"] + argv
                    let r = try HelperCommand.run(direct, timeout: 3600)
                    guard r.succeeded else { throw IsoprobeError(.failed, "the job run directly failed", cause: r.stderr) }
                    output = r.stdout
                }
                guard let (iops, ios) = Self.figures(output) else {
                    throw IsoprobeError(.failed, "no IOPS in the job's output (\(mode.rawValue))")
                }
                figures[mode] = iops
                for p in programs where p.recursionMisses > 0 {
                    progress("  \(mode.rawValue): \(p.name) missed \(p.recursionMisses) runs (re-entered on its CPU)")
                }
                if ios > 0 {
                    var byName: [String: (runs: UInt64, ns: UInt64)] = [:]
                    for p in programs { byName[p.name, default: (0, 0)].runs += p.runs; byName[p.name, default: (0, 0)].ns += p.runTimeNs }
                    for (name, v) in byName where v.runs > 0 {
                        result.programs[mode, default: [:]][name, default: []].append((Double(v.runs) / Double(ios), Double(v.ns) / Double(v.runs)))
                    }
                }
                result.iops[mode, default: []].append(iops)
            }
            for (mode, v) in figures where mode != .direct {
                if let d = figures[.direct], d > 0 { result.ratios[mode, default: []].append(v / d) }
            }
            progress("round \(round)/\(rounds): " + chosen.map { "\($0.rawValue) \(Int(figures[$0] ?? 0))" }.joined(separator: ", "))
        }
        return result
    }
}
