import Foundation
import Host
import IsoprobeCore
import Probes

/// The rules that turn an environment's run and the probes' counts into a RunResult, in one
/// place for every environment (a guest's agent applies them inside the guest): wall time,
/// the CPU baseline, exit decoding, limit events, timeouts.
public enum RunAssembly {
    public static func result(environment: String, invocation: WorkloadInvocation, repetition: Int, startedAt: Date,
                              run: EnvironmentRun, measured: ProbeSession.Measurements,
                              probes: [ProbeStatus]) -> RunResult {
        let spec = invocation.spec
        let memory = measured.memory
        // CPU from the kernel's per-task account when the sched probe saw the exits: the
        // same in every environment, whoever reaps the workload (wait4 is the fallback).
        let cpu = measured.sched?.cpu.map { subtract(run.cpuBeforeStart, from: $0) }
        var details = run.details
        if details != nil { details?.limitEvents = .from(syscalls: measured.syscalls, memory: memory) }
        var result = RunResult(
            environment: environment,
            workload: WorkloadDescription(spec: spec.text, name: spec.name,
                                          parameters: Dictionary(spec.parameters.map { ($0.key, $0.value) },
                                                                 uniquingKeysWith: { $1 }),
                                          command: invocation.argv),
            repetition: repetition, startedAt: startedAt, wallNs: wallTime(run, lastExitNs: cpu?.lastExitNs),
            cpuUserNs: cpu?.userNs ?? run.outcome.userNs, cpuSystemNs: cpu?.systemNs ?? run.outcome.systemNs,
            exit: describeExit(leaderExit(run, sched: measured.sched), memory: memory, details: details),
            workloadReport: WorkloadReport.parse(output: run.outcome.stdout),
            target: TargetDescription(cgroupPath: run.target.path, cgroupId: run.target.id,
                                      cgroupLevel: run.target.level),
            probes: probes, syscalls: measured.syscalls, sched: measured.sched, memory: memory,
            slowSyscalls: measured.slowSyscalls, eventsDropped: measured.eventsDropped,
            setupNs: run.setupNs, teardownNs: run.teardownNs, details: details)
        result.schedEvents = measured.schedEvents
        result.exit.keepLastWords(of: run.outcome.stdout)
        result.blockIo = BlockIOFigures(report: result.workloadReport)
        result.memoryBandwidth = MemoryBandwidthFigures(report: result.workloadReport)
        result.memoryLatency = MemoryLatencyCurve(report: result.workloadReport)
        result.footprint = run.footprint
        if FioJob.isFio(spec) {
            result.fio = FioJobFigures.parse(output: run.outcome.stdout)
            result.blockIo = BlockIOFigures(fio: result.fio, job: try? FioJob.load(spec))
        }
        return result
    }

    /// From the workload's start to its last task's exit when the probes saw it: an
    /// environment's own tear-down (a runtime deleting its container) is not the workload's.
    public static func wallTime(_ run: EnvironmentRun, lastExitNs: UInt64?) -> UInt64 {
        guard let last = lastExitNs, run.workloadStartNs > 0, last > run.workloadStartNs else { return run.outcome.wallNs }
        return min(last - run.workloadStartNs, run.outcome.wallNs)
    }

    /// Takes out what the first process used before the workload was let go, keeping the
    /// exact total and splitting it in the ratio of what is left of user and system time.
    public static func subtract(_ base: CPUBaseline?, from cpu: SchedStats.CPUTime) -> SchedStats.CPUTime {
        guard let base else { return cpu }
        var out = cpu
        out.runtimeNs = cpu.runtimeNs - min(base.runtimeNs, cpu.runtimeNs)
        let user = Double(cpu.userNs - min(base.userNs, cpu.userNs))
        let system = Double(cpu.systemNs - min(base.systemNs, cpu.systemNs))
        out.userNs = user + system > 0 ? UInt64(Double(out.runtimeNs) * user / (user + system)) : 0
        out.systemNs = out.runtimeNs - out.userNs
        return out
    }

    /// The first process's own wait status when the probes recorded it: `runc run` exits
    /// 128+N both for "killed by signal N" and for "exited with 128+N".
    public static func leaderExit(_ run: EnvironmentRun, sched: SchedStats?) -> ExitDescription {
        guard let status = sched?.leaderWaitStatus, run.outcome.exit.kind != "timeout" else { return run.outcome.exit }
        return ChildProcess.describe(status: status, timedOut: false)
    }

    /// A workload stopped because isoprobe was interrupted (its cgroup killed, or the signal
    /// reaching it too) did not fail: it says so. `signal` stays what ended the workload.
    public static func interrupted(_ exit: ExitDescription, by sig: Int32) -> ExitDescription {
        ExitDescription(kind: "interrupted", code: exit.code, signal: exit.signal,
                        description: "stopped: isoprobe was \(Interruption.error(sig).message)")
    }

    /// A SIGKILL the OOM killer dealt says so.
    public static func describeExit(_ exit: ExitDescription, memory: MemoryStats?, details: EnvironmentDetails?) -> ExitDescription {
        guard exit.kind == "signaled", exit.signal == SIGKILL, let m = memory, m.oomKills > 0 else { return exit }
        let limit = details?.limits?.memoryBytes.map { " (memory limit \($0 / 1_048_576) MiB)" } ?? ""
        return ExitDescription(kind: "oom_killed", code: nil, signal: SIGKILL, description: "killed by the OOM killer\(limit)")
    }
}
