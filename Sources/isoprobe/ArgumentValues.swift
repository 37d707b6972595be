import ArgumentParser
import IsoprobeCore
import KVM
import Probes
import Verify

// The values of `--env`, `--accel`, `--userns`, `--probes` and `--policy`: parsed by the argument
// parser itself, so a wrong word is refused before anything runs and `--help` lists the
// words it takes.

/// `--env native,container,vm`: environments in the order given, each once.
struct EnvironmentList: ExpressibleByArgument, Sendable {
    var kinds: [EnvironmentKind]

    init(_ kinds: [EnvironmentKind]) { self.kinds = kinds }

    init?(argument: String) {
        var kinds: [EnvironmentKind] = []
        for word in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let kind = EnvironmentKind(rawValue: String(word)), !kinds.contains(kind) else { return nil }
            kinds.append(kind)
        }
        guard !kinds.isEmpty else { return nil }
        self.kinds = kinds
    }

    var defaultValueDescription: String { kinds.map(\.rawValue).joined(separator: ",") }

    static var allValueStrings: [String] { EnvironmentKind.allCases.map(\.rawValue) }
}

/// `--probes all|none|syscalls,sched,memory`.
struct ProbeSelection: ExpressibleByArgument, Sendable {
    var families: [ProbeFamily]

    init(_ families: [ProbeFamily]) { self.families = families }

    init?(argument: String) {
        guard let families = try? ProbeFamily.parseList(argument) else { return nil }
        self.families = families
    }

    var defaultValueDescription: String {
        families == ProbeFamily.allCases ? "all" : families.isEmpty ? "none" : families.map(\.rawValue).joined(separator: ",")
    }

    static var allValueStrings: [String] { ["all", "none"] + ProbeFamily.allCases.map(\.rawValue) }
}

/// `--userns`: whether containers get a user namespace.
enum UserNamespaceMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Where the runtime supports it.
    case auto, on, off

    /// The container option: nil leaves it to the runtime.
    var choice: Bool? {
        switch self {
        case .auto: nil
        case .on: true
        case .off: false
        }
    }
}

extension AccelRequest: ExpressibleByArgument {}

/// `verify --env`: the environments whose boundaries verify checks.
enum GuestKind: String, ExpressibleByArgument, CaseIterable, Sendable {
    case container, vm

    var kind: EnvironmentKind { self == .vm ? .vm : .container }
}

/// `--policy hardened|config|FILE`: verify's verdict policy. A word other than the two names
/// is a policy file, read (and refused in one line) before anything runs.
enum PolicyChoice: ExpressibleByArgument, Sendable, Equatable {
    case hardened, config
    case file(String)

    init?(argument: String) {
        switch argument {
        case "hardened": self = .hardened
        case "config": self = .config
        case "": return nil
        default: self = .file(argument)
        }
    }

    var defaultValueDescription: String { "hardened" }

    static var allValueStrings: [String] { ["hardened", "config", "FILE"] }

    func resolve() throws -> VerdictPolicy {
        switch self {
        case .hardened: return .hardened
        case .config: return .config
        case .file(let path): return try VerdictPolicy.load(path: path)
        }
    }
}

/// `--network bridge|host|none`.
extension NetworkMode: ExpressibleByArgument {}

/// `--network bridge|host|none|bridge,host` (the list is checked by `NetworkModes.problem`).
extension NetworkModes: ExpressibleByArgument {
    public init?(argument: String) { self.init(words: argument) }
    public var defaultValueDescription: String { modes.map(\.rawValue).joined(separator: ",") }
    public static var allValueStrings: [String] { ["bridge", "host", "none", "bridge,host"] }
}
extension EnvironmentKind: ExpressibleByArgument {}
