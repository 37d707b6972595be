import AgentProtocol
import Foundation
import IsoprobeCore

/// One message of each kind, as an agent and a host send them: the seeds the agent targets
/// start from. (fixtures/fuzz also holds a whole result from a real guest run.)
public enum AgentSamples {
    /// A result with a field of every kind: counts, histograms, errnos, limits, events.
    static let resultJSON = #"""
        {"environment": "vm", "repetition": 2, "started_at": "2026-12-05T12:00:00Z",
         "wall_ns": 123456789, "cpu_user_ns": 1000000, "cpu_system_ns": 8000000, "setup_ns": 1000, "teardown_ns": 0,
         "events_dropped": 3,
         "workload": {"spec": "pipe-rw:count=10,size=512", "name": "pipe-rw", "parameters": {"count": "10", "size": "512"},
                      "command": []},
         "exit": {"kind": "signaled", "signal": 9, "description": "killed by SIGKILL"},
         "workload_report": {"ops": 10, "elapsed_ns": 5000, "ns_per_op": "nan", "extra": {"fs": "ext4"}},
         "target": {"cgroup_path": "/sys/fs/cgroup/isoprobe-vm-1-1", "cgroup_id": 4242, "cgroup_level": 1},
         "probes": [{"family": "syscalls", "attached": true, "mode": "tp_btf"},
                    {"family": "memory", "attached": false, "mode": "unsupported", "detail": "no BTF"}],
         "syscalls": [{"name": "read", "nr": 0, "count": 20, "errors": 2, "errnos": [{"errno": "EAGAIN", "code": 11, "count": 2}],
                       "total_ns": 40000, "latency_hist": {"unit": "ns", "count": 20,
                       "buckets": [{"lo": 256, "hi": 511, "count": 3}, {"lo": 512, "hi": 1023, "count": 17}]}}],
         "sched": {"context_switches": {"voluntary": 12, "involuntary": 3}, "migrations": 1, "wakeups": 20, "wakeups_new": 1,
                   "runqueue_latency_hist": {"unit": "ns", "count": 1, "buckets": [{"lo": 1, "hi": 1, "count": 1}]}, "runqueue_latency_total_ns": 5000,
                   "oncpu_slice_hist": {"unit": "ns", "count": 0, "buckets": []}, "oncpu_total_ns": 9000000},
         "memory": {"page_faults": {"user": 100, "kernel": 5}, "brk": {"calls": 2, "grow_bytes": 8192, "shrink_bytes": 0},
                    "peak_rss_bytes": 1048576, "oom_kills": 0},
         "slow_syscalls": [{"name": "write", "pid": 7, "tid": 7, "cpu": 1, "comm": "pipe-rw", "start_ns": 10,
                            "duration_ns": 20000000, "ret": -11}],
         "details": {"limits": {"cpus": 1.5, "memory_bytes": 67108864}}}
        """#

    public static func messages() throws -> [AgentMessage] {
        let facts = HostFacts(hostname: "guest", kernel: "6.1.0", architecture: "x86_64", cpuModel: "QEMU Virtual CPU",
                              cpus: 1, memoryBytes: 1 << 30, cgroupLayout: "cgroup2", clocksource: "tsc")
        return [
            .hello(AgentHello(guest: facts, probes: [ProbeStatus(family: "sched", attached: true, mode: "raw_tp")])),
            .ready,
            .runRequest(GuestRunRequest(spec: "sleep:ms=10", argv: ["/isoprobe/workloads/sleep", "ms=10"],
                                        timeoutSeconds: 5, probes: ["syscalls"], returnOutput: true)),
            .log("agent: probes attached — \"quoted\" \\ and ünïcödé"),
            .output("check PASS\ncheck FAIL: refused\n"),
            try AgentMessage(type: "result", payload: Data(resultJSON.utf8)),
            .error(AgentFailure(message: "the workload could not start", kind: "failed", cause: "ENOENT")),
            .heartbeat, .poweroff, .bye,
        ]
    }
}
