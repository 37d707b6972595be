import ArgumentParser
import Foundation
import Harness
import IsoprobeCore
import KVM
import Probes
import Suite

/// A suite file as a run request: its workloads, environments, repetitions and settings;
/// command-line flags that a suite does not set keep their meaning (probes, output), and
/// --reps, --warmups, --runtime, --accel, --kernel and --vm-fresh override the suite's own.
enum SuiteRequest {
    struct Loaded {
        var suite: Suite
        var request: RunRequest

        /// What only the catalog knows (is the fixture built, are its parameters right), at
        /// the workload's line in the suite.
        func checkWorkloads(catalog: WorkloadCatalog) throws {
            for workload in suite.workloads {
                do { try catalog.validate(workload.spec) } catch let e as IsoprobeError where e.kind == .usage {
                    throw suite.error(naming: workload, e.description)
                }
            }
        }
    }

    static func load(path: String, flags: RunCommand) throws -> Loaded {
        let suite = try SuiteFile.load(path: path)
        // --network bridge,host: every container of the suite runs as container-host too.
        let pairing = flags.networkModes ?? NetworkModes([])
        let items = suite.workloads.map {
            RunItem(spec: $0.spec, environments: pairing.environments($0.environments ?? suite.environments),
                    repetitions: flags.repetitionsGiven ? flags.repetitions : $0.repetitions ?? suite.repetitions)
        }
        let c = suite.container
        var request = RunRequest(
            environments: pairing.environments(suite.environments), workloads: suite.workloads.map(\.spec), repetitions: suite.repetitions,
            probeFamilies: flags.probes.families, timeout: suite.timeout ?? flags.timeout,
            echoOutput: flags.showOutput,
            container: .init(runtime: flags.guest.runtimeFlag ?? c.runtime, limits: .init(cpus: c.cpus, memoryBytes: c.memoryBytes, pids: c.pids),
                             ociConfigPath: c.ociConfig, network: flags.network ?? c.network))
        request.plan = items
        request.warmups = flags.warmups ?? suite.warmups
        request.vm = .init(kernelPath: flags.guest.kernel ?? suite.vm.kernel,
                           accel: flags.guest.accel ?? AccelRequest(rawValue: suite.vm.accel) ?? .auto,
                           vcpus: suite.vm.vcpus, memoryMiB: suite.vm.memoryMiB, fresh: flags.vmFresh || suite.vm.fresh)
        if flags.guest.noCalibration, request.vm.accel != .kvm {
            throw ValidationError("--no-calibration applies to --accel kvm (the suite's vm.accel is \(request.vm.accel.rawValue))")
        }
        request.vm.calibrate = !flags.guest.noCalibration
        if !suite.required { request.optionalEnvironments = Set(pairing.environments(suite.environments)) }
        request.continueOnFailure = true
        return Loaded(suite: suite, request: request)
    }
}
