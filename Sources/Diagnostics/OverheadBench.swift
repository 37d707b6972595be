import BPF
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import Probes
import SystemPackage

/// Probe cost per syscall: the getpid fixture, natively, under each observer in turn
/// (no probe, empty tp_btf hooks, isoprobe's probes, bpftrace doing count + histogram),
/// interleaved over repetitions so every mode sees the same machine.
public final class OverheadBench {
    public enum Mode: String, CaseIterable, Sendable {
        case none, empty, isoprobe, bpftrace

        var label: String {
            switch self {
            case .none: return "no probe"
            case .empty: return "empty tp_btf enter+exit (floor)"
            case .isoprobe: return "isoprobe probes (syscalls+sched+memory)"
            case .bpftrace: return "bpftrace count + hist"
            }
        }
    }

    public struct Result: Sendable {
        public var count: Int
        public var samples: [Mode: [Double]]
        public var unavailable: [Mode: String]

        public func median(_ mode: Mode) -> Double? {
            Statistics.median(samples[mode] ?? [])
        }

        public func render() -> String {
            var out = "getpid x \(count), ns per call (median of \(samples.values.map(\.count).max() ?? 0)):\n"
            let base = median(.none)
            for mode in Mode.allCases {
                if let m = median(mode) {
                    let added = base.map { String(format: "  (+%.0f)", m - $0) } ?? ""
                    out += "  " + mode.label.padding(toLength: 42, withPad: " ", startingAt: 0)
                        + String(format: " %8.1f", m) + added + "\n"
                } else {
                    out += "  " + mode.label.padding(toLength: 42, withPad: " ", startingAt: 0)
                        + "      n/a  (\(unavailable[mode] ?? "not measured"))\n"
                }
            }
            if let iso = median(.isoprobe), let floor = median(.empty) {
                out += String(format: "isoprobe / floor:    %.2fx  (total ns per call)\n", iso / floor)
                if let base {
                    out += String(format: "isoprobe / floor:    %.2fx  (ns added over no probe)\n",
                                  (iso - base) / (floor - base))
                }
            }
            if let iso = median(.isoprobe), let bt = median(.bpftrace) {
                out += String(format: "isoprobe / bpftrace: %.2fx  (total ns per call)\n", iso / bt)
                if let base {
                    out += String(format: "isoprobe / bpftrace: %.2fx  (ns added over no probe)\n",
                                  (iso - base) / (bt - base))
                }
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

    public func run(count: Int, repetitions: Int, modes: [Mode] = Mode.allCases,
                    progress: (String) -> Void) throws -> Result {
        let spec = WorkloadSpec(name: "getpid", parameters: [("count", String(count))])
        let argv = try catalog.argv(for: spec)
        var result = Result(count: count, samples: [:], unavailable: [:])
        var active = modes
        if active.contains(.bpftrace) && HostTool.find("bpftrace") == nil {
            result.unavailable[.bpftrace] = "bpftrace not installed: apt-get install -y bpftrace"
            active.removeAll { $0 == .bpftrace }
        }
        let tracefs = Tracefs.ensureMounted()
        defer { Tracefs.release(tracefs) }
        let env = NativeEnvironment(hierarchy: hierarchy)
        for rep in 1...repetitions {
            for mode in active {
                if Interruption.shared.isInterrupted {
                    throw IsoprobeError(.interrupted, "interrupted")
                }
                let observer = try makeObserver(mode)
                defer { observer.close() }
                let run = try env.run(WorkloadInvocation(spec: spec, argv: argv, environment: ["PATH": "/usr/bin:/bin"]),
                                      observer: observer)
                guard run.outcome.exit.succeeded, let report = WorkloadReport.parse(output: run.outcome.stdout) else {
                    throw IsoprobeError(.failed, "getpid workload under \(mode.rawValue) \(run.outcome.exit.description)")
                }
                try observer.verify(count: count)
                result.samples[mode, default: []].append(report.nsPerOp)
                progress("rep \(rep) " + mode.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                         + String(format: " %.1f ns/call", report.nsPerOp))
            }
        }
        return result
    }

    func makeObserver(_ mode: Mode) throws -> BenchObserver {
        switch mode {
        case .none: return NoProbes()
        case .empty: return EmptyHooks(directory: resources.probesDirectory)
        case .isoprobe: return IsoprobeProbes(session: ProbeSession(settings: .init(directory: resources.probesDirectory)))
        case .bpftrace: return BpftraceProbes()
        }
    }
}

/// An observer for the benchmark that can be closed and can check it saw the calls.
class BenchObserver: RunObserver {
    func targetReady(_ target: CgroupTarget) throws {}
    func workloadFinished() {}
    func close() {}
    func verify(count: Int) throws {}
}

final class NoProbes: BenchObserver {}

final class EmptyHooks: BenchObserver {
    let directory: String
    var object: BPFObject?
    var links: [BPFLink] = []

    init(directory: String) {
        self.directory = directory
    }

    override func targetReady(_ target: CgroupTarget) throws {
        let obj = try BPFObject(path: (directory as NSString).appendingPathComponent("empty.bpf.o"))
        object = obj
        try obj.load()
        for p in obj.programs { links.append(try p.attach()) }
    }

    override func workloadFinished() {
        links.forEach { $0.destroy() }
        links.removeAll()
    }

    override func close() {
        workloadFinished()
        object?.close()
    }
}

final class IsoprobeProbes: BenchObserver {
    let session: ProbeSession

    init(session: ProbeSession) {
        self.session = session
    }

    override func targetReady(_ target: CgroupTarget) throws { try session.targetReady(target) }
    override func workloadFinished() { session.workloadFinished() }
    override func close() { session.close() }

    /// The measurement only counts if the probes saw every call.
    override func verify(count: Int) throws {
        let m = try session.collect()
        let seen = m.syscalls.first { $0.name == "getpid" }?.count ?? 0
        if seen < UInt64(count) {
            throw IsoprobeError(.failed, "isoprobe probes saw \(seen) of \(count) getpid calls")
        }
    }
}

/// bpftrace doing what the syscalls probe does: per-syscall count and latency histogram
/// for the target cgroup, with start times in a map keyed by thread.
final class BpftraceProbes: BenchObserver {
    /// bpftrace while it runs (nil once reaped), and the read end of its stdout and stderr.
    var pid: pid_t?
    var output: Int32 = -1

    static func script(cgroupPath: String) -> String {
        """
        tracepoint:raw_syscalls:sys_enter /cgroup == cgroupid("\(cgroupPath)")/ { @start[tid] = nsecs; }
        tracepoint:raw_syscalls:sys_exit /@start[tid]/ {
          @count[args->id] = count(); @lat[args->id] = hist(nsecs - @start[tid]); delete(@start[tid]);
        }
        """
    }

    override func targetReady(_ target: CgroupTarget) throws {
        guard let bpftrace = HostTool.find("bpftrace") else {
            throw IsoprobeError(.missing, "bpftrace not found", fix: "apt-get install -y bpftrace")
        }
        let pipe = try HelperCommand.pipe()
        do {
            pid = try HelperCommand.spawn([bpftrace, "-e", Self.script(cgroupPath: target.path)],
                                          stdoutFD: pipe.write, stderrFD: pipe.write)
        } catch {
            Glibc.close(pipe.read)
            Glibc.close(pipe.write)
            throw error
        }
        Glibc.close(pipe.write)
        output = pipe.read
        // bpftrace prints "Attaching N probes..." once its programs are in place.
        var seen = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(60)
        while !String(decoding: seen, as: UTF8.self).contains("Attaching") {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { break }
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = retryingOnInterrupt { poll(&poller, 1, Int32(min(left, 1) * 1000)) }
            if ready == 0 { continue }
            let n = (try? buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: output).read(into: $0) }) ?? 0
            if n == 0 { break }
            seen.append(contentsOf: buffer[0..<n])
        }
        guard String(decoding: seen, as: UTF8.self).contains("Attaching") else {
            close()
            throw IsoprobeError(.failed, "bpftrace did not attach", cause: String(decoding: seen, as: UTF8.self))
        }
        // The attach message comes just before the last probe attaches.
        usleep(300_000)
    }

    /// Whether bpftrace still runs; reaps it once it has exited.
    private func isRunning() -> Bool {
        guard let child = pid else { return false }
        var status: Int32 = 0
        let rc = retryingOnInterrupt { waitpid(child, &status, WNOHANG) }
        if rc == 0 { return true }
        pid = nil
        return false
    }

    /// SIGKILL if still running, and reaped.
    private func killAndReap() {
        guard isRunning(), let child = pid else { return }
        kill(child, SIGKILL)
        _ = HelperCommand.wait(child)
        pid = nil
    }

    override func workloadFinished() {
        guard isRunning(), let child = pid else { return }
        // Drain its map dump so it can exit; the drain owns the read end from here.
        let fd = output
        output = -1
        if fd >= 0 {
            Thread.detachNewThread {
                let input = FileDescriptor(rawValue: fd)
                var buffer = [UInt8](repeating: 0, count: 65536)
                while let n = try? buffer.withUnsafeMutableBytes({ try input.read(into: $0) }), n > 0 {}
                try? input.close()
            }
        }
        // bpftrace 0.17 can miss a SIGINT that lands just before it sleeps in epoll_wait:
        // repeat it until it exits, and kill it if it still has not after 10 s.
        let deadline = Date().addingTimeInterval(10)
        while isRunning() && Date() < deadline {
            kill(child, SIGINT)
            usleep(100_000)
        }
        killAndReap()
    }

    override func close() {
        killAndReap()
        if output >= 0 {
            Glibc.close(output)
            output = -1
        }
    }
}
