import Foundation

/// `linux`: namespaces, ID mappings, cgroup, devices, seccomp and /proc hardening.
public struct Linux: Codable, Equatable, Sendable {
    /// The namespace kinds runtime-spec 1.0.2 names. A closed set on purpose: runc refuses any
    /// other value, so decoding refuses it too, naming the key.
    public enum NamespaceType: String, Codable, CaseIterable, Sendable {
        case pid, network, mount, ipc, uts, user, cgroup
    }

    /// A namespace to create, or with `path` (`/proc/PID/ns/net`) one to join.
    public struct Namespace: Codable, Equatable, Sendable {
        public var type: NamespaceType
        public var path: String?

        public init(type: NamespaceType, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// `size` IDs from `containerID` in the container are `hostID...` on the host.
    public struct IDMapping: Codable, Equatable, Sendable {
        public var containerID: UInt32
        public var hostID: UInt32
        public var size: UInt32

        public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }

        /// The host ID of `id`, or nil when this range does not cover it.
        public func hostID(of id: UInt32) -> UInt32? {
            guard id >= containerID, UInt64(id) < UInt64(containerID) + UInt64(size) else { return nil }
            let mapped = UInt64(hostID) + UInt64(id - containerID)
            return mapped <= UInt64(UInt32.max) ? UInt32(mapped) : nil
        }
    }

    /// A device node the runtime creates in the container's /dev.
    public struct Device: Codable, Equatable, Sendable {
        /// `c`, `b`, `u` or `p`.
        public var type: String
        public var path: String
        public var major: Int64?
        public var minor: Int64?
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?

        public init(type: String, path: String, major: Int64? = nil, minor: Int64? = nil,
                    fileMode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil) {
            self.type = type
            self.path = path
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
        }
    }

    public struct IntelRdt: Codable, Equatable, Sendable {
        public var closID: String?
        public var l3CacheSchema: String?
        public var memBwSchema: String?

        public init(closID: String? = nil, l3CacheSchema: String? = nil, memBwSchema: String? = nil) {
            self.closID = closID
            self.l3CacheSchema = l3CacheSchema
            self.memBwSchema = memBwSchema
        }
    }

    public var namespaces: [Namespace]?
    public var uidMappings: [IDMapping]?
    public var gidMappings: [IDMapping]?
    public var devices: [Device]?
    public var cgroupsPath: String?
    public var resources: Resources?
    public var intelRdt: IntelRdt?
    public var seccomp: Seccomp?
    public var sysctl: [String: String]?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    /// `private`, `rprivate`, `slave`, `rslave`, `shared`, `rshared`, `unbindable`, `runbindable`.
    public var rootfsPropagation: String?
    public var mountLabel: String?

    public init(namespaces: [Namespace]? = nil, uidMappings: [IDMapping]? = nil, gidMappings: [IDMapping]? = nil,
                devices: [Device]? = nil, cgroupsPath: String? = nil, resources: Resources? = nil,
                intelRdt: IntelRdt? = nil, seccomp: Seccomp? = nil, sysctl: [String: String]? = nil,
                maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil,
                rootfsPropagation: String? = nil, mountLabel: String? = nil) {
        self.namespaces = namespaces
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.devices = devices
        self.cgroupsPath = cgroupsPath
        self.resources = resources
        self.intelRdt = intelRdt
        self.seccomp = seccomp
        self.sysctl = sysctl
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.rootfsPropagation = rootfsPropagation
        self.mountLabel = mountLabel
    }

    /// The entry for `type`, if the config lists one.
    public func namespace(_ type: NamespaceType) -> Namespace? {
        namespaces?.first { $0.type == type }
    }
}
