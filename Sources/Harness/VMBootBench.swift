import AgentProtocol
import Foundation
import Environments
import IsoprobeCore
import KVM
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

    public func run(repetitions: Int, progress: (String) -> Void) throws -> Result {
        let calibration = KVMCalibration.shared
        let accel = try AccelChoice.resolve(requested: .auto, calibration: calibration)
        let vm = try VMEnvironment(options: .init(accelerator: accel == .kvm ? .kvm : .tcg),
                                   agentBinary: Resources.executablePath, probesDirectory: resources.probesDirectory)
        let catalog = WorkloadCatalog(directory: resources.workloadsDirectory)
        let spec = WorkloadSpec(name: "getpid", parameters: [("count", "1")])
        let host = try catalog.argv(for: spec)
        let request = AgentProtocol.RunRequest(spec: spec.text, argv: VMEnvironment.guestArgv(hostArgv: host, isCommand: false),
                                               probes: ["syscalls", "sched", "memory"])
        var result = Result(accelerator: accel.rawValue, guestKernel: vm.kernel.version, boot: [], total: [])
        for rep in 1...repetitions {
            if Interruption.shared.isInterrupted { throw IsoprobeError(.interrupted, "interrupted") }
            let started = Date()
            let run = try vm.run(request, workloadBinary: host[0])
            let total = Date().timeIntervalSince(started) * 1e9
            guard let boot = run.results.first?.details?.bootNs else {
                throw IsoprobeError(.failed, "the guest did not report ready (\(run.outcome.end))")
            }
            result.boot.append(Double(boot))
            result.total.append(total)
            progress(String(format: "rep %d: ready after %.2f s, run %.2f s", rep, Double(boot) / 1e9, total / 1e9))
        }
        return result
    }
}
