import Foundation

/// Which open boundaries fail a verify run. A contradiction (the config closes a boundary
/// that was open anyway) fails under every policy; beyond that:
/// - `hardened` (the default): every boundary the hardened profile holds must hold. For a
///   container that is isoprobe's hardened container without a user namespace (which the
///   profile adds only where asked), so sharing the host's kernel is not required;
/// - `config`: nothing more: what the config allows may be open;
/// - a file: the checks it lists must hold.
public struct VerdictPolicy: Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case hardened, config, file
    }

    public var kind: Kind
    /// A file policy's path and the check ids it requires, its wildcards expanded.
    public var file: String?
    public var listed: Set<String>

    public static let hardened = VerdictPolicy(kind: .hardened, file: nil, listed: [])
    public static let config = VerdictPolicy(kind: .config, file: nil, listed: [])

    public static func file(_ path: String, requiring ids: Set<String>) -> VerdictPolicy {
        VerdictPolicy(kind: .file, file: path, listed: ids)
    }

    /// The checks this policy requires of a guest whose environment's hardened profile is
    /// `hardened`.
    public func required(hardened: VerifyProfile) -> Set<String> {
        switch kind {
        case .hardened: return hardened.held
        case .config: return []
        case .file: return listed
        }
    }

    /// How the report names it: `hardened`, `config`, or the file's path.
    public var name: String { file ?? kind.rawValue }
}

/// The policy a report was judged by, as the JSON carries it.
public struct PolicySummary: Codable, Sendable, Equatable {
    public var kind: VerdictPolicy.Kind
    public var file: String?
    /// The check ids required of guest A, in `BoundaryCheck.all` order.
    public var required: [String]

    public init(_ policy: VerdictPolicy, required: Set<String>) {
        kind = policy.kind
        file = policy.file
        self.required = BoundaryCheck.all.map(\.id).filter(required.contains)
    }

    public var name: String { file ?? kind.rawValue }
}
