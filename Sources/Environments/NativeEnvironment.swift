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

    /// A block device made elsewhere (a guest's virtio disk, which the host's QEMU serves):
    /// storage workloads use it instead of a loop device of their own.
    public let givenBlockDevice: String?

    public init(hierarchy: CgroupHierarchy, givenBlockDevice: String? = nil) {
        self.hierarchy = hierarchy
        self.givenBlockDevice = givenBlockDevice.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The plan's block device (storage workloads), made by `prepare` and kept to `close`.
    let block = BlockDeviceHolder()

    public func prepare(for workloads: [WorkloadInvocation]) throws {
        guard givenBlockDevice == nil else { return }
        try block.prepare(for: workloads.map(\.spec))
    }

    /// A block device's size in bytes, from sysfs (512-byte sectors); 0 when unknown.
    static func size(of device: String) -> Int64 {
        let name = (device as NSString).lastPathComponent
        let sectors = (try? String(contentsOfFile: "/sys/class/block/\(name)/size", encoding: .utf8))
            .flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        return sectors * 512
    }

    public func close() { block.release() }

    public func blockDevice(for spec: WorkloadSpec) throws -> String? {
        if let givenBlockDevice { return Self.usesBlock(spec) ? givenBlockDevice : nil }
        return try block.device(for: spec)?.loop.path
    }

    /// Whether a workload is a storage workload (a fio job counts, whatever its file says).
    static func usesBlock(_ spec: WorkloadSpec) -> Bool {
        FioJob.isFio(spec) || BlockDeviceNeed.bytes(for: spec) != nil
    }

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
        var details: EnvironmentDetails?
        if let given = givenBlockDevice {
            // A guest's agent cannot read a fio job file on the host: every workload sees the disk.
            environment[BlockDeviceNeed.environmentVariable] = given
            if Self.usesBlock(invocation.spec) {
                details = EnvironmentDetails(blockPath: BlockPath(kind: "given", device: given, backingBytes: Self.size(of: given)))
            }
        } else if let device = try block.device(for: invocation.spec) {
            environment[BlockDeviceNeed.environmentVariable] = device.loop.path
            details = EnvironmentDetails(blockPath: device.path)
        }

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
                              details: details, workloadStartNs: outcome.startNs)
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
