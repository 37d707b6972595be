import BPF
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import Probes

/// What the probes cost I/O-bound work: 4 KiB random reads with O_DIRECT on one loop device
/// over a backing file under the scratch location, run directly (no cgroup, no probe) and
/// natively under isoprobe with no probe, each probe family alone, and all of them (with the
/// block probe). Every round runs each mode once, the order rotating; each mode's figure is
/// the median over rounds of its IOPS over the same round's direct IOPS. fio with psync (the
/// engine the storage studies use for QD1) where fio is installed, else blockio at QD1.
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

    public struct Result: Sendable {
        public var engine: String
        public var seconds: Double
        public var iops: [Mode: [Double]] = [:]
        /// Per round, each mode's IOPS over the same round's direct IOPS.
        public var ratios: [Mode: [Double]] = [:]
        /// Under `all`, per program (by name) and round: runs per I/O and ns per run, from the
        /// kernel's BPF run-time statistics. Programs fire for every task on the host, so runs
        /// per I/O count the machine's other work too.
        public var programs: [String: [(runsPerIO: Double, nsPerRun: Double)]] = [:]

        public func render() -> String {
            let rounds = iops[.direct]?.count ?? 0
            var out = "4 KiB random reads, O_DIRECT, QD1 (\(engine)), \(String(format: "%.1f", seconds)) s per run, "
                + "\(rounds) interleaved rounds; ratio = median of the rounds' paired ratios to direct:\n"
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
            out += "programs under --probes all (medians over rounds; every task on the host fires them):\n"
            out += "  " + "program".padding(toLength: 28, withPad: " ", startingAt: 0) + "  runs/IO  ns/run   ns/IO\n"
            var rows: [(String, Double, Double)] = programs.compactMap { name, samples in
                guard let r = Statistics.median(samples.map(\.runsPerIO)), let n = Statistics.median(samples.map(\.nsPerRun))
                else { return nil }
                return (name, r, n)
            }
            rows.sort { $0.1 * $0.2 > $1.1 * $1.2 }
            for (name, r, n) in rows where r >= 0.01 {
                out += "  " + name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "  %7.2f  %6.0f  %6.0f\n", r, n, r * n)
            }
            out += String(format: "  total ns of BPF per I/O: %.0f\n", rows.reduce(0) { $0 + $1.1 * $1.2 })
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

    /// The job on `device`: fio's psync engine, or blockio at QD1.
    func job(device: String, seconds: Double, engine: String) throws -> [String] {
        let ms = Int(seconds * 1000)
        if engine == "fio", let fio = HostTool.find("fio") {
            return [fio, "--name=observer", "--filename=\(device)", "--rw=randread", "--bs=4k", "--direct=1",
                    "--ioengine=psync", "--runtime=\(ms)ms", "--time_based", "--output-format=json"]
        }
        return try catalog.argv(for: WorkloadSpec(name: "blockio", parameters: [
            ("pattern", "randread"), ("bs", "4096"), ("qd", "1"), ("duration_ms", String(ms)), ("device", device),
        ]))
    }

    /// IOPS and I/Os from fio's JSON or blockio's result line.
    static func figures(_ output: String) -> (iops: Double, ios: UInt64)? {
        if let report = WorkloadReport.parse(output: output), let iops = report.extra["iops"].flatMap(Double.init) {
            return (iops, report.ops)
        }
        guard let read = FioJobFigures.parse(output: output)?.first?.read else { return nil }
        return (read.iops, read.ios)
    }

    public func run(rounds: Int, seconds: Double, engine: String, modes: [Mode] = Mode.allCases,
                    progress: (String) -> Void) throws -> Result {
        let device = try LoopBlockDevice(bytes: 64 << 20)
        defer { device.release() }
        let argv = try job(device: device.loop.path, seconds: seconds, engine: engine)
        var result = Result(engine: argv[0].hasSuffix("fio") ? "fio psync" : "blockio libaio", seconds: seconds)
        let env = NativeEnvironment(hierarchy: hierarchy)
        let chosen = [Mode.direct] + modes.filter { $0 != .direct }
        let kernelDevice = BlockProbe.kernelDevice(ofNode: device.loop.path)
        let statistics = try? ProgramStatistics.enable()
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
                    let before = Set(ProgramStatistics.all().map(\.id))
                    let run = try env.run(WorkloadInvocation(spec: .command(argv), argv: argv, environment: Runner.workloadEnvironment()),
                                          observer: observer)
                    // Loaded for this run (and still open): what the probes cost during it.
                    if mode == .all && statistics != nil { programs = ProgramStatistics.all().filter { !before.contains($0.id) } }
                    guard run.outcome.exit.succeeded else {
                        throw IsoprobeError(.failed, "the job under isoprobe (\(mode.rawValue)) \(run.outcome.exit.description)")
                    }
                    output = run.outcome.stdout
                } else {
                    let r = try HelperCommand.run(argv, timeout: seconds + 60)
                    guard r.succeeded else { throw IsoprobeError(.failed, "the job run directly failed", cause: r.stderr) }
                    output = r.stdout
                }
                guard let (iops, ios) = Self.figures(output) else {
                    throw IsoprobeError(.failed, "no IOPS in the job's output (\(mode.rawValue))")
                }
                figures[mode] = iops
                if ios > 0 {
                    var byName: [String: (runs: UInt64, ns: UInt64)] = [:]
                    for p in programs { byName[p.name, default: (0, 0)].runs += p.runs; byName[p.name, default: (0, 0)].ns += p.runTimeNs }
                    for (name, v) in byName where v.runs > 0 {
                        result.programs[name, default: []].append((Double(v.runs) / Double(ios), Double(v.ns) / Double(v.runs)))
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
