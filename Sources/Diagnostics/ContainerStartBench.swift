import Container
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore

/// isoprobe's container start overhead against the runtime alone: the same bundle run with
/// a bare `runc run`, and through isoprobe's container environment (config, the hook's
/// hand-over, cgroup lookup, wait, clean-up), without probes so only the environment is
/// timed. Both kinds of workload: a fixture (a one-call getpid, from the guest file set)
/// and a command (`/bin/true`, with the host's /usr bound in). Interleaved; medians and
/// their ratio.
public final class ContainerStartBench {
    /// The two kinds of bundle isoprobe writes.
    public enum Kind: String, CaseIterable, Sendable {
        case fixture, command

        var spec: WorkloadSpec {
            switch self {
            case .fixture: WorkloadSpec(name: "getpid", parameters: [("count", "1")])
            case .command: .command(["/bin/true"])
            }
        }

        var label: String {
            switch self {
            case .fixture: "fixture (getpid:count=1)"
            case .command: "command (/bin/true)"
            }
        }
    }

    public struct Result: Sendable {
        public var runtime: String
        public var kind: Kind
        public var bare: [Double]
        public var isoprobe: [Double]

        public var ratio: Double? {
            guard let b = Statistics.median(bare), let i = Statistics.median(isoprobe), b > 0 else { return nil }
            return i / b
        }

        /// Each repetition runs the bare runtime, then isoprobe: the median of their ratios
        /// is less moved by a slow stretch of the machine than the ratio of medians.
        public var pairedRatio: Double? {
            Statistics.median(zip(isoprobe, bare).compactMap { $1 > 0 ? $0 / $1 : nil })
        }

        public func render() -> String {
            let b = Statistics.median(bare) ?? 0, i = Statistics.median(isoprobe) ?? 0
            var out = "container start to exit, \(kind.label), same bundle, median of \(bare.count) (\(runtime)):\n"
            out += String(format: "  bare `%@ run`           %8.1f ms  (min %.1f, max %.1f)\n", runtime as NSString,
                          b / 1e6, (bare.min() ?? 0) / 1e6, (bare.max() ?? 0) / 1e6)
            out += String(format: "  isoprobe container env  %8.1f ms  (min %.1f, max %.1f)\n",
                          i / 1e6, (isoprobe.min() ?? 0) / 1e6, (isoprobe.max() ?? 0) / 1e6)
            if let ratio {
                out += String(format: "isoprobe / bare: %.2fx (median of the %d interleaved pairs' ratios: %.2fx)\n",
                              ratio, bare.count, pairedRatio ?? 0)
            }
            return out
        }
    }

    let resources: Resources
    let hierarchy: CgroupHierarchy

    public init(resources: Resources) throws {
        self.resources = resources
        hierarchy = try CgroupHierarchy.detect()
    }

    public func run(repetitions: Int, runtime: String, kind: Kind, progress: (String) -> Void) throws -> Result {
        let catalog = WorkloadCatalog(directory: resources.workloadsDirectory)
        let spec = kind.spec
        let invocation = WorkloadInvocation(spec: spec, argv: try catalog.argv(for: spec), environment: [:])
        let env = try ContainerEnvironment(options: .init(runtime: runtime), hierarchy: hierarchy)
        defer { env.close() }
        let observer = NoProbes()
        // Warm-up: builds the bundle, which both then run.
        _ = try env.run(invocation, observer: observer)
        let bundle = try env.bundleDirectory(for: invocation)
        var result = Result(runtime: env.runtime.name, kind: kind, bare: [], isoprobe: [])
        for rep in 1...repetitions {
            if Interruption.shared.isInterrupted { throw IsoprobeError(.interrupted, "interrupted") }
            let id = CgroupNames.unique(prefix: "isoprobe-bare")
            try env.writeBareConfig(for: invocation, id: id)
            let t0 = ChildProcess.now()
            let code = try env.runtimeCommand(["run", "--bundle", bundle, id], bundleDirectory: bundle)
            let bare = Double(ChildProcess.elapsed(t0, ChildProcess.now()))
            guard code == 0 else {
                _ = try? env.runtimeCommand(["delete", "--force", id], bundleDirectory: bundle)
                throw IsoprobeError(.failed, "bare \(env.runtime.name) run exited \(code)")
            }
            let t1 = ChildProcess.now()
            let run = try env.run(invocation, observer: observer)
            let ours = Double(ChildProcess.elapsed(t1, ChildProcess.now()))
            guard run.outcome.exit.succeeded else {
                throw IsoprobeError(.failed, "container run \(run.outcome.exit.description)")
            }
            result.bare.append(bare)
            result.isoprobe.append(ours)
            progress(String(format: "\(kind.rawValue) rep %d: bare %.1f ms, isoprobe %.1f ms", rep, bare / 1e6, ours / 1e6))
        }
        return result
    }
}
