import Foundation
import IsoprobeCore

/// The workload as a plain child process, in a fresh cgroup2 directory of its own, with a
/// fresh scratch directory as its TMPDIR.
public final class NativeEnvironment: LocalEnvironment, NetworkAttachable {
    public struct Options: EnvironmentOptions {
        public static let kind = EnvironmentKind.native
        public init() {}
        public func makeEnvironment(_ context: EnvironmentContext) throws -> Environment {
            NativeEnvironment(hierarchy: context.hierarchy)
        }
    }

    public let kind = EnvironmentKind.native
    public let hierarchy: CgroupHierarchy

    public init(hierarchy: CgroupHierarchy) {
        self.hierarchy = hierarchy
    }

    public func close() {}

    public private(set) var networkPath: NetworkPath?

    /// The host's own namespace, through a veth whose other end is on isoprobe's bridge.
    public func attach(to network: TestNetwork) throws {
        networkPath = try network.attachHost()
    }

    public func run(_ invocation: WorkloadInvocation, observer: RunObserver) throws -> EnvironmentRun {
        let setupStart = DispatchTime.now().uptimeNanoseconds
        let scratch = try Scratch.make()
        defer { scratch.remove() }
        let cgroup = try Cgroup.create(named: CgroupNames.unique(prefix: "isoprobe-native"), in: hierarchy)
        var removed = false
        defer { if !removed { try? cgroup.remove() } }
        var environment = invocation.environment
        environment["TMPDIR"] = scratch.path

        // The environment's own cost: the probes' loading is not part of it.
        let setupNs = DispatchTime.now().uptimeNanoseconds - setupStart
        try observer.targetReady(cgroup.target)
        let outcome: ProcessOutcome
        do {
            outcome = try ChildProcess.run(invocation.argv, environment: environment, cgroup: cgroup,
                                           echoOutput: invocation.echoOutput, timeout: invocation.timeout)
        } catch {
            observer.workloadFinished()
            throw error
        }
        observer.workloadFinished()
        let teardownStart = DispatchTime.now().uptimeNanoseconds
        try cgroup.remove()
        removed = true
        return EnvironmentRun(outcome: outcome, target: cgroup.target, setupNs: setupNs,
                              teardownNs: DispatchTime.now().uptimeNanoseconds - teardownStart,
                              workloadStartNs: outcome.startNs)
    }
}

/// Names that say who made a cgroup and cannot collide between concurrent runs.
public enum CgroupNames {
    private static let counter = Counter()

    public static func unique(prefix: String) -> String {
        "\(prefix)-\(getpid())-\(counter.next())"
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
