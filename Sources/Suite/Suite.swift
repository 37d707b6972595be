import Foundation
import IsoprobeCore

/// A suite file: which workloads run where, how often, and the method's settings.
public struct Suite: Sendable {
    public var path: String
    public var name: String
    public var description: String?
    public var repetitions: Int
    public var warmups: Int
    public var environments: [EnvironmentKind]
    /// Environments that must run: a missing one is an error, not a notice.
    public var required: Bool
    public var threshold: Double
    /// Rounds go on until each ratio to native is known within ± this fraction (`--precision`).
    public var precision: Double?
    /// With `precision`: no round starts after this many seconds (`--max-time`).
    public var maxTime: Double?
    public var timeout: Double?
    public var container: ContainerSettings
    public var vm: VMSettings
    public var workloads: [SuiteWorkload]

    public struct ContainerSettings: Sendable, Equatable {
        public var runtime = "runc"
        public var memory: String?
        public var memoryBytes: Int64?
        public var cpus: Double?
        public var pids: Int64?
        /// Resolved against the suite file's folder.
        public var ociConfig: String?
        /// `network = "bridge" | "host" | "none"` (`--network`); nil: bridge for network workloads.
        public var network: NetworkMode?
    }

    public struct VMSettings: Sendable, Equatable {
        public var vcpus = 1
        public var memoryMiB = 1024
        public var kernel: String?
        public var accel = "auto"
        /// A fresh guest for every run (`fresh = true`) instead of one serving them all.
        public var fresh = false
    }

    /// Where in the file a workload was written, so the caller can report what only it can
    /// check (whether the fixture exists) at the right line.
    public func error(_ workload: SuiteWorkload, field: String, _ message: String) -> IsoprobeError {
        SuiteFile.error(path: path, at: workload.position, field: "workload[\(workload.index)].\(field)", message)
    }

    /// An error about the workload itself (an unknown fixture, a parameter it refuses), at the
    /// `spec` or `name` value it was written with.
    public func error(naming workload: SuiteWorkload, _ message: String) -> IsoprobeError {
        SuiteFile.error(path: path, at: workload.namePosition, field: "workload[\(workload.index)].\(workload.nameField)", message)
    }
}

public struct SuiteWorkload: Sendable {
    public var spec: WorkloadSpec
    /// Overrides of the suite's environments and repetitions.
    public var environments: [EnvironmentKind]?
    public var repetitions: Int?
    /// 1-based, in file order.
    public var index: Int
    /// Where its [[workload]] header is.
    public var position: SourcePosition
    /// The key that named it, "spec" or "name", and where that value is.
    public var nameField: String
    public var namePosition: SourcePosition
}
