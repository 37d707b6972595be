/// The kinds of environment isoprobe measures in: the words `--env` takes.
public enum EnvironmentKind: String, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case native, container
    /// A container in the host's network namespace (`--network host`), with the container's
    /// other settings: its own environment, so that one plan can hold it beside the bridged
    /// container (`--network bridge,host`).
    case containerHost = "container-host"
    case vm

    /// Either variant of the container environment.
    public var isContainer: Bool { self == .container || self == .containerHost }

    public static func < (a: EnvironmentKind, b: EnvironmentKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The word `--env` takes (`container-host`), wherever a kind is written.
    public var description: String { rawValue }

    public static var list: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
