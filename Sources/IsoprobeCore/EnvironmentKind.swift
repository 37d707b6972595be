/// The kinds of environment isoprobe measures in: the words `--env` takes.
public enum EnvironmentKind: String, CaseIterable, Sendable, Codable, Comparable {
    case native, container, vm

    public static func < (a: EnvironmentKind, b: EnvironmentKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    public static var list: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
