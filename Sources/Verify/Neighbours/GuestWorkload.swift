import AgentProtocol
import Environments
import Foundation
import Harness
import IsoprobeCore
import KVM
import VM
import VMEnvironment

/// Runs a workload in fresh QEMU guests, each measured by the agent inside: the VM side of
/// performance isolation. The agent is an isoprobe binary named here (not necessarily the
/// running program), so the measurement can be driven from any process.
struct GuestWorkload {
    let environment: VMEnvironment
    let catalog: WorkloadCatalog
    let probeFamilies: [String]
    let timeout: TimeInterval

    init(options: VMEnvironment.Options, accel: AccelRequest, agentBinary: String, resources: Resources,
         probeFamilies: [String], timeout: TimeInterval) throws {
        var options = options
        options.accelerator = try AccelChoice.resolve(requested: accel) == .kvm ? .kvm : .tcg
        options.bootTimeout = 60 + timeout
        environment = try VMEnvironment(options: options, agentBinary: agentBinary, probesDirectory: resources.probesDirectory)
        catalog = WorkloadCatalog(directory: resources.workloadsDirectory)
        self.probeFamilies = probeFamilies
        self.timeout = timeout
    }

    /// Warm-ups first (dropped), then the measured repetitions, one guest each.
    func run(_ spec: WorkloadSpec, repetitions: Int, warmups: Int) throws -> [RunResult] {
        var out: [RunResult] = []
        for i in 0..<(warmups + repetitions) {
            if let sig = Interruption.shared.signal { throw IsoprobeError(.interrupted, "interrupted by signal \(sig)") }
            let result = try once(spec, repetition: max(1, i - warmups + 1))
            if i >= warmups { out.append(result) }
        }
        return out
    }

    /// The agent's request for one run, and the kernel parameter carrying it: QEMU's
    /// arguments hold it, which is how a guest of ours is found on the host.
    func request(_ spec: WorkloadSpec, repetition: Int) throws -> (AgentProtocol.RunRequest, marker: String) {
        try catalog.validate(spec)
        let host = try catalog.argv(for: spec)
        let request = AgentProtocol.RunRequest(spec: spec.text, isCommand: spec.command != nil,
                                               argv: VMEnvironment.guestArgv(hostArgv: host, isCommand: spec.command != nil),
                                               timeoutSeconds: timeout, probes: probeFamilies, repetition: repetition, count: 1)
        return (request, try request.kernelCommandLineParameter())
    }

    func once(_ spec: WorkloadSpec, repetition: Int) throws -> RunResult {
        let (request, marker) = try self.request(spec, repetition: repetition)
        return try once(spec, request: request, marker: marker)
    }

    func once(_ spec: WorkloadSpec, request: AgentProtocol.RunRequest, marker: String) throws -> RunResult {
        let host = try catalog.argv(for: spec)
        // QEMU leads its own process group, out of reach of the terminal's Ctrl-C.
        let token = Interruption.shared.onInterrupt { HostProcesses.kill(carrying: marker) }
        defer { Interruption.shared.remove(token) }
        let run = try environment.run(request, workloadBinary: spec.command == nil ? host[0] : nil)
        if let failure = run.failure { throw IsoprobeError(.failed, "in the guest: \(failure.message)") }
        guard let result = run.results.first else {
            let tail = run.outcome.console.split(separator: "\n").suffix(5).joined(separator: " | ")
            throw IsoprobeError(.failed, "the guest returned no result (\(run.outcome.end))", cause: tail)
        }
        return result
    }
}
