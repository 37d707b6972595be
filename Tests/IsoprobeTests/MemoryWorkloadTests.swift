import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// membw and memlat in every environment: STREAM's four figures, and one point of the
    /// latency curve per working set from 16 KiB to `max`, doubling.
    @Suite(.enabled(if: VMRequirements.available || Requirements.inCI, "needs root, qemu-system-x86_64 and a guest kernel (make kernel)"))
    struct MemoryWorkloadTests {
        @Test func bandwidthAndLatencyInEveryEnvironment() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let r = try isoprobe(["run", "--env", "native,container,vm", "--workload", "membw:size=4M,reps=1",
                                  "--workload", "memlat:max=1M,loads=20000", "--reps", "1", "--quiet"], timeout: 240)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document)
            let membw = doc.runs.filter { $0.workload.name == "membw" }
            let memlat = doc.runs.filter { $0.workload.name == "memlat" }
            #expect(Set(membw.map(\.environment)) == ["native", "container", "vm"])
            #expect(Set(memlat.map(\.environment)) == ["native", "container", "vm"])
            for run in membw {
                let b = try #require(run.memoryBandwidth, "no STREAM figures in \(run.environment)")
                #expect(b.arrayBytes == 4 << 20 && b.threads == 1)
                #expect([b.copyGbPerS, b.scaleGbPerS, b.addGbPerS, b.triadGbPerS].allSatisfy { $0 > 0 }, "\(run.environment): \(b)")
            }
            for run in memlat {
                let curve = try #require(run.memoryLatency, "no latency curve in \(run.environment)")
                #expect(curve.points.map(\.bytes) == (0...6).map { UInt64(16 << 10) << $0 }, "\(run.environment): \(curve.points)")
                #expect(curve.hugePages)
                #expect(run.workloadReport?.ops == 7 * 20_000)
            }
        }
    }
}
