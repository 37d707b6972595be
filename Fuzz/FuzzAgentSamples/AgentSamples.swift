import AgentProtocol
import Foundation
import IsoprobeCore

/// One message of each kind, as an agent and a host send them: the seeds the agent targets
/// start from.
public enum AgentSamples {
    static let guest = HostFacts(hostname: "guest", kernel: "6.1.0-28-amd64", architecture: "x86_64",
                                 cpuModel: "QEMU Virtual CPU", cpus: 2, memoryBytes: 512 << 20,
                                 cgroupLayout: "cgroup2", clocksource: "kvm-clock")

    static var result: RunResult {
        let syscalls = (0..<3).map { i in
            SyscallStats(name: ["read", "write", "getpid"][i], nr: i, count: UInt64(1000 * (i + 1)), errors: UInt64(i),
                         errnos: i == 0 ? [] : [.init(errno: "EAGAIN", code: 11, count: UInt64(i))],
                         totalNs: UInt64(50_000 * (i + 1)), latencyHist: Log2Histogram(slots: [0, 3, 40, 900, 57]))
        }
        var sched = SchedStats(contextSwitches: .init(voluntary: 12, involuntary: 3), migrations: 1, wakeups: 20,
                               wakeupsNew: 1, runqueueLatencyHist: Log2Histogram(slots: [0, 1, 2, 3]),
                               runqueueLatencyTotalNs: 5000, oncpuSliceHist: Log2Histogram(slots: [4, 5]),
                               oncpuTotalNs: 9_000_000)
        sched.cpu = .init(exitedTasks: 1, runtimeNs: 9_000_000, userNs: 1_000_000, systemNs: 8_000_000, lastExitNs: 123)
        return RunResult(
            environment: "vm",
            workload: WorkloadDescription(spec: "getpid:count=100000", name: "getpid", parameters: ["count": "100000"], command: []),
            repetition: 1, startedAt: Date(timeIntervalSince1970: 1_700_000_000), wallNs: 123_456_789,
            cpuUserNs: 1_000_000, cpuSystemNs: 8_000_000,
            exit: ExitDescription(kind: "exited", code: 0, signal: nil, description: "exited 0"),
            workloadReport: WorkloadReport(ops: 100_000, elapsedNs: 50_000_000, nsPerOp: 500.25, extra: ["x": "y/z"]),
            target: TargetDescription(cgroupPath: "/sys/fs/cgroup/isoprobe/run-1", cgroupId: 4242, cgroupLevel: 2),
            probes: [ProbeStatus(family: "syscalls", attached: true, mode: "tp_btf")],
            syscalls: syscalls, sched: sched,
            memory: MemoryStats(pageFaults: .init(user: 100, kernel: 5), mmap: .init(calls: 3, bytes: 4096),
                                munmap: nil, brk: .init(calls: 2, growBytes: 8192, shrinkBytes: 0), peakRssBytes: 1 << 20),
            slowSyscalls: [SlowSyscall(name: "read", pid: 100, tid: 101, cpu: 1, comm: "worker", startNs: 1_000,
                                       durationNs: 20_000_000, ret: -11)],
            eventsDropped: 0, setupNs: 1000, teardownNs: 2000,
            details: EnvironmentDetails(limits: .init(cpus: 1.5, memoryBytes: 64 << 20)))
    }

    public static var messages: [AgentMessage] {
        [.hello(AgentHello(guest: guest, probes: [ProbeStatus(family: "syscalls", attached: true, mode: "tp_btf"),
                                                   ProbeStatus(family: "memory", attached: false, mode: "unsupported", detail: "no BTF")])),
         .ready,
         .runRequest(GuestRunRequest(spec: "getpid:count=100000", argv: ["/isoprobe/workloads/getpid", "count=100000"],
                                     environment: ["PATH": "/bin"], timeoutSeconds: 30, probes: ["syscalls", "sched", "memory"],
                                     repetition: 3, returnOutput: true)),
         .log("probes attached: syscalls sched memory — ünïcödé \"quoted\" \\ "),
         .output("fs.mount PASS mount(tmpfs) refused: EPERM\nproc.see_host PASS 3 pids visible\n"),
         .result(result),
         .error(AgentFailure(IsoprobeError(.missing, "no BTF in the guest kernel", fix: "CONFIG_DEBUG_INFO_BTF=y"))),
         .heartbeat, .poweroff, .bye]
    }
}
