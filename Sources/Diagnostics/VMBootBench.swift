import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import VMEnvironment

/// How long a guest takes to be ready: QEMU started to the agent's first console line,
/// over repeated one-call runs (each boots a fresh guest), and the whole run around it.
public final class VMBootBench {
    public struct Result: Sendable {
        public var accelerator: String
        public var guestKernel: String
        public var boot: [Double]
        public var total: [Double]

        public func render() -> String {
            let b = Statistics.median(boot) ?? 0, t = Statistics.median(total) ?? 0
            var out = "QEMU start to agent ready, \(accelerator), guest kernel \(guestKernel), median of \(boot.count):\n"
            out += String(format: "  boot (QEMU start to agent ready)  %6.2f s  (min %.2f, max %.2f)\n",
                          b / 1e9, (boot.min() ?? 0) / 1e9, (boot.max() ?? 0) / 1e9)
            out += String(format: "  whole run (initramfs to power-off) %5.2f s  (min %.2f, max %.2f)\n",
                          t / 1e9, (total.min() ?? 0) / 1e9, (total.max() ?? 0) / 1e9)
            return out
        }
    }

    let resources: Resources

    public init(resources: Resources) {
        self.resources = resources
    }

    /// Each repetition boots a fresh guest and measures one tiny run in it.
    public func run(repetitions: Int, progress: (String) -> Void) throws -> Result {
        let vm = try VMEnvironment(options: .init(fresh: true), agentBinary: Resources.executablePath,
                                   probesDirectory: resources.probesDirectory)
        defer { vm.close() }
        let runner = try Runner(resources: resources)
        let spec = WorkloadSpec(name: "getpid", parameters: [("count", "1")])
        let request = RunRequest(environments: [.vm], workloads: [spec], repetitions: 1)
        var result = Result(accelerator: vm.accelerator.rawValue, guestKernel: vm.kernel.version, boot: [], total: [])
        for rep in 1...repetitions {
            if Interruption.shared.isInterrupted { throw IsoprobeError(.interrupted, "interrupted") }
            let started = Date()
            let run = try runner.measure(spec, in: vm, repetition: rep, request: request).result
            let total = Date().timeIntervalSince(started) * 1e9
            guard let boot = run.details?.bootNs else {
                throw IsoprobeError(.failed, "the guest did not report its boot time")
            }
            result.boot.append(Double(boot))
            result.total.append(total)
            progress(String(format: "rep %d: ready after %.2f s, run %.2f s", rep, Double(boot) / 1e9, total / 1e9))
        }
        return result
    }
}
