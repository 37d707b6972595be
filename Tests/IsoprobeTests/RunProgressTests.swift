import Foundation
import Harness
import IsoprobeCore
import Testing

@Suite struct RunProgressTests {
    final class Clock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_790_000_000)
    }

    func result(_ planned: PlannedRun) -> RunResult {
        RunResult(environment: planned.environment.rawValue,
                  workload: WorkloadDescription(spec: planned.spec.text, name: planned.spec.name, parameters: [:], command: []),
                  repetition: planned.repetition, startedAt: Date(), wallNs: 1_000_000, cpuUserNs: 0, cpuSystemNs: 0,
                  exit: ExitDescription(kind: "exited", code: 0, signal: nil, description: "exited with status 0"),
                  workloadReport: nil, target: TargetDescription(cgroupPath: "/x", cgroupId: 1, cgroupLevel: 1),
                  probes: [], syscalls: [], sched: nil, memory: nil)
    }

    var request: RunRequest {
        var r = RunRequest(environments: [.native, .vm], workloads: [try! WorkloadSpec.parse("getpid")], repetitions: 2)
        r.warmups = 1
        return r
    }

    @Test func roundsRotateTheEnvironmentsAfterTheWarmups() {
        let s = request.schedule
        #expect(s.map { "\($0.environment)\($0.warmup ? "w" : "")\($0.repetition)" } == ["nativew1", "vmw1", "native1", "vm1", "vm2", "native2"])
        var three = RunRequest(environments: [.native, .container, .vm], workloads: [try! WorkloadSpec.parse("getpid")], repetitions: 3)
        three.warmups = 0
        // A Latin square: each environment once in each position over three rounds.
        #expect(three.schedule.map(\.environment.rawValue) == ["native", "container", "vm", "container", "vm", "native", "vm", "native", "container"])
    }

    @Test func etaWeighsEachEnvironmentByItsOwnPace() {
        let clock = Clock()
        var lines: [String] = []
        let progress = RunProgress(schedule: request.schedule, interactive: true, write: { lines.append($0) }, clock: { clock.now })
        let s = request.schedule
        // native takes 1 s, vm 10 s.
        for (i, (run, seconds)) in zip(s.prefix(2), [1.0, 10.0]).enumerated() {
            progress.handle(.starting(run, index: i + 1, total: s.count))
            clock.now += seconds
            progress.handle(.finished(run, result(run), index: i + 1, total: s.count))
        }
        // Left: two native runs at 1 s and two vm runs at 10 s.
        #expect(progress.estimate() == 22)
        progress.handle(.starting(s[2], index: 3, total: s.count))
        #expect(lines.last == "\r\u{1B}[K[3/6] native getpid round 1/2 · ETA 22s")
    }

    @Test func plainLinesAreTimestampedOnePerRun() {
        let clock = Clock()
        var lines: [String] = []
        let progress = RunProgress(schedule: request.schedule, interactive: false, write: { lines.append($0) }, clock: { clock.now })
        let run = request.schedule[0]
        progress.handle(.starting(run, index: 1, total: 6))
        progress.handle(.finished(run, result(run), index: 1, total: 6))
        progress.handle(.skippedEnvironment("vm", reason: "no QEMU"))
        #expect(lines == ["2026-09-21T14:13:20Z [1/6] native getpid warm-up 1/1: exited with status 0, wall 1.0 ms\n",
                          "2026-09-21T14:13:20Z skipping environment vm: no QEMU\n"])
    }
}
