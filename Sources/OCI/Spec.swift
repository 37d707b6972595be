import Foundation

/// The `config.json` of an OCI bundle: runtime-spec v1.0.2 for Linux, the version runc 1.1
/// implements. JSON names are the spec's; nil fields are left out when encoding.
///
/// Keys this model does not know (Solaris, Windows and VM sections, fields newer than 1.0.2)
/// are ignored when decoding, so they are also absent when a decoded spec is encoded again.
public struct Spec: Codable, Equatable, Sendable {
    /// The spec version this model follows and `hardened(...)` writes.
    public static let version = "1.0.2"

    public var ociVersion: String
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount]?
    public var hooks: Hooks?
    public var annotations: [String: String]?
    public var linux: Linux?

    public init(ociVersion: String = Spec.version, process: Process? = nil, root: Root? = nil,
                hostname: String? = nil, domainname: String? = nil, mounts: [Mount]? = nil,
                hooks: Hooks? = nil, annotations: [String: String]? = nil, linux: Linux? = nil) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
    }
}
