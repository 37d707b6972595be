import Foundation
import Host
import IsoprobeCore

/// Where on the host verify puts its secret file, and the host's mount points: together they
/// decide whether a config's bind mount shows the file to A.
public struct HostLayout: Sendable, Equatable {
    /// The folder the host's secret file is made in (a new folder below it per run).
    public var temporaryDirectory: String
    /// The host's mount points: a bind that is not recursive stops at them.
    public var mountPoints: [String]

    public init(temporaryDirectory: String = "/tmp", mountPoints: [String] = []) {
        self.temporaryDirectory = temporaryDirectory
        self.mountPoints = mountPoints
    }

    public static func current() -> HostLayout {
        HostLayout(temporaryDirectory: TemporaryDirectory.base, mountPoints: ProcFS.mountPoints())
    }
}
