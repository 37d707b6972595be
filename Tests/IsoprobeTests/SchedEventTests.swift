import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// The sched probe's ring buffer: run-queue waits at least the threshold (1 ms) become
    /// events, and each one is also in the run-queue histogram.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct SchedEventTests {
        @Test func twoSpinnersOnOneCPUWaitForEachOther() throws {
            // Two busy loops pinned to one CPU take turns: each waits a scheduler slice (ms) for the other.
            let script = "taskset -c 0 sh -c 'while :; do :; done' & a=$!; taskset -c 0 sh -c 'while :; do :; done' & b=$!; "
                + "sleep 0.4; kill $a $b; wait"
            let r = try isoprobe(["run", "--env", "native", "--quiet", "--no-history", "--", "/bin/sh", "-c", script])
            #expect(r.process.status == 0, "isoprobe exited \(r.process.status): \(r.process.stderr)")
            let run = try #require(r.document?.runs.first)
            let events = try #require(run.schedEvents, "no scheduling events recorded")
            // The spinners' waits are on CPU 0; the shell around them may wait elsewhere now and then.
            let pinned = events.filter { $0.cpu == 0 }
            #expect(pinned.count >= 10, "only \(pinned.count) run-queue waits of at least 1 ms on CPU 0 in 0.4 s of two spinners there")
            let hist = try #require(run.sched?.runqueueLatencyHist)
            // Every event is also a histogram sample of at least 1 ms: from the slot holding 1 ms up.
            let atLeastHalfMs = hist.slots[Log2Histogram.slot(for: 1_000_000)...].reduce(0, +)
            #expect(UInt64(events.count) <= atLeastHalfMs, "\(events.count) events but \(atLeastHalfMs) waits >= 0.5 ms in the histogram")
            for e in events {
                #expect(e.kind == "runq_wait")
                #expect(e.durationNs >= 1_000_000, "event shorter than the threshold: \(e)")
                #expect(e.pid != 0 && e.tid != 0 && !e.comm.isEmpty)
            }
            #expect(events == events.sorted { $0.startNs < $1.startNs }, "events in time order")
        }
    }
}
