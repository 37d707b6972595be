import Foundation
import IsoprobeCore
@testable import AgentProtocol

/// Deterministic randomness for the property tests (SplitMix64): a failure names its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixtures {
    static let session: UInt32 = 0x1234_abcd

    static let guest = HostFacts(hostname: "guest", kernel: "6.1.0-28-amd64", architecture: "x86_64",
                                 cpuModel: "QEMU Virtual CPU", cpus: 2, memoryBytes: 512 << 20,
                                 cgroupLayout: "cgroup2", clocksource: "kvm-clock")

    static let hello = AgentMessage.hello(AgentHello(guest: guest, probes: [
        ProbeStatus(family: "syscalls", attached: true, mode: "tp_btf"),
        ProbeStatus(family: "sched", attached: true, mode: "raw_tp"),
        ProbeStatus(family: "memory", attached: false, mode: "none", detail: "no BTF"),
    ]))

    static let request = GuestRunRequest(spec: "getpid:count=100000", argv: ["/isoprobe/workloads/getpid", "100000"],
                                    environment: ["PATH": "/bin", "LANG": "C"], timeoutSeconds: 30,
                                    probes: ["syscalls", "sched", "memory"], repetition: 3)

    /// A result whose JSON is about `syscallCount` × 1.1 KB plus `slowCount` × 160 bytes.
    static func result(syscalls syscallCount: Int = 3, slow slowCount: Int = 2, seed: UInt64 = 1) -> RunResult {
        var rng = SeededGenerator(seed: seed)
        let syscalls = (0..<syscallCount).map { i in
            SyscallStats(name: "sys_\(i)", nr: i, count: rng.next() % 1_000_000, errors: UInt64(i % 3),
                         errnos: i % 3 == 0 ? [] : [.init(errno: "EAGAIN", code: 11, count: UInt64(i % 3))],
                         totalNs: rng.next() % 10_000_000_000,
                         latencyHist: Log2Histogram(slots: (0..<40).map { _ in rng.next() % 100_000 }))
        }
        let slow = (0..<slowCount).map { (i: Int) -> SlowSyscall in
            let start = rng.next() % 1_000_000_000_000
            let duration = rng.next() % 1_000_000
            return SlowSyscall(name: "read", pid: UInt32(100 + i), tid: UInt32(100 + i), cpu: UInt32(i % 4),
                               comm: "worker-\(i)", startNs: start, durationNs: duration, ret: Int64(i) - 2)
        }
        var sched = SchedStats(contextSwitches: .init(voluntary: 12, involuntary: 3), migrations: 1, wakeups: 20,
                               wakeupsNew: 1, runqueueLatencyHist: Log2Histogram(slots: [0, 1, 2, 3]),
                               runqueueLatencyTotalNs: 5000, oncpuSliceHist: Log2Histogram(slots: [4, 5]),
                               oncpuTotalNs: 9_000_000)
        sched.cpu = .init(exitedTasks: 1, runtimeNs: 9_000_000, userNs: 1_000_000, systemNs: 8_000_000, lastExitNs: 123)
        return RunResult(
            environment: "vm",
            workload: WorkloadDescription(spec: "getpid:count=100000", name: "getpid",
                                          parameters: ["count": "100000"], command: []),
            repetition: 1, startedAt: Date(timeIntervalSince1970: 1_700_000_000), wallNs: 123_456_789,
            cpuUserNs: 1_000_000, cpuSystemNs: 8_000_000,
            exit: ExitDescription(kind: "exited", code: 0, signal: nil, description: "exited 0"),
            workloadReport: WorkloadReport(ops: 100_000, elapsedNs: 50_000_000, nsPerOp: 500.25, extra: ["x": "y/z"]),
            target: TargetDescription(cgroupPath: "/sys/fs/cgroup/isoprobe/run-1", cgroupId: 4242, cgroupLevel: 2),
            probes: [ProbeStatus(family: "syscalls", attached: true, mode: "tp_btf")],
            syscalls: syscalls, sched: sched,
            memory: MemoryStats(pageFaults: .init(user: 100, kernel: 5), mmap: .init(calls: 3, bytes: 4096),
                                munmap: nil, brk: .init(calls: 2, growBytes: 8192, shrinkBytes: 0), peakRssBytes: 1 << 20),
            slowSyscalls: slow, eventsDropped: 0, setupNs: 1000, teardownNs: 2000,
            details: EnvironmentDetails(limits: .init(cpus: 1.5, memoryBytes: 64 << 20)))
    }

    /// One of each message type.
    static var everyMessage: [AgentMessage] {
        [hello, .ready, .runRequest(request), .log("probes attached: syscalls sched memory — ünïcödé \"quoted\" \\ "),
         .output("fs.mount PASS mount(tmpfs) refused: EPERM\nproc.see_host PASS 3 pids visible\n"),
         .result(result()), .error(AgentFailure(IsoprobeError(.missing, "no BTF in the guest kernel", fix: "CONFIG_DEBUG_INFO_BTF=y"))),
         .heartbeat, .poweroff, .bye]
    }

    /// Kernel-style console lines.
    static let kernelLines = [
        "[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)",
        "[    1.234567] ata1: SATA link down (SStatus 0 SControl 300)",
        "[   12.345678] random: crng init done",
        "[   13.000001] virtio_net virtio0 eth0: renamed from ens3",
        "[   14.141414] Out of memory: Killed process 123 (memhog) total-vm:300000kB",
        "Run /init as init process",
        "@ not a frame @@ either",
        "@@isoprobe is mentioned here but no frame",
    ]

    static func messages(in events: [AgentEvent]) -> [AgentMessage] {
        events.compactMap { if case .message(let m) = $0 { return m } else { return nil } }
    }

    static func consoleLines(in events: [AgentEvent]) -> [String] {
        events.compactMap { if case .consoleLine(let l) = $0 { return l } else { return nil } }
    }

    /// Encoded lines of `messages`, numbered from 0 in one session.
    static func lines(_ messages: [AgentMessage], chunkSize: Int = FrameFormat.defaultChunkSize,
                      session: UInt32 = session) throws -> [[Data]] {
        var encoder = FrameEncoder(session: session, chunkSize: chunkSize)
        return try messages.map { try encoder.lines(type: $0.kind.rawValue, payload: try $0.payload()) }
    }

    /// Everything a reader reports for `bytes`, fed in one piece, then finished.
    static func read(_ bytes: Data) -> (events: [AgentEvent], statistics: AgentChannel.Statistics) {
        var reader = AgentChannel.Reader()
        let events = reader.feed(bytes) + reader.finish()
        return (events, reader.statistics)
    }
}
