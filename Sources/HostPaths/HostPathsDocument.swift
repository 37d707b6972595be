import Foundation

/// What `isoprobe host-paths` writes with `--json`: where the paths ran, and per path the
/// verdict with its figures (docs/host-paths-schema.md).
public struct HostPathsDocument: Codable, Sendable {
    public static let schemaName = "isoprobe.host-paths"
    public static let currentVersion = 1

    public struct Outcome: Codable, Sendable {
        public var path: HostPath
        public var summary: String
        /// The figures prove the path (the host's judgement, `HostPathJudge`).
        public var proven: Bool
        public var problems: [String]
        public var seconds: Double?
        public var figures: HostPathFigures?

        public init(path: HostPath, report: HostPathReport?) {
            self.path = path
            summary = path.summary
            seconds = report?.seconds
            figures = report?.figures
            problems = report.map(HostPathJudge.problems) ?? ["no report came back from the guest host"]
            proven = problems.isEmpty
        }
    }

    /// The guest host: its kernel and what QEMU gave it, from the host's side, and its own facts.
    public struct GuestHost: Codable, Sendable {
        public var kernel: String
        public var accelerator: String
        public var vcpus: Int
        public var memoryMiB: Int
        /// From starting QEMU to the guest host's facts (modules loaded, 9p and overlay mounted).
        public var bootSeconds: Double?
        public var totalSeconds: Double
        public var facts: GuestHostFacts?
        /// Where the guest host's console and QEMU's log are kept.
        public var logDirectory: String

        /// `memory_mib` in snake case (not `memory_mi_b`).
        enum CodingKeys: String, CodingKey {
            case kernel, accelerator, vcpus, bootSeconds, totalSeconds, facts, logDirectory
            case memoryMiB = "memoryMib"
        }
    }

    public var schema = HostPathsDocument.schemaName
    public var schemaVersion = HostPathsDocument.currentVersion
    public var isoprobeVersion: String
    public var hostKernel: String
    public var guestHost: GuestHost
    public var paths: [Outcome]
    public var allProven: Bool { paths.allSatisfy(\.proven) }

    enum CodingKeys: String, CodingKey {
        case schema, schemaVersion, isoprobeVersion, hostKernel, guestHost, paths, allProven
    }

    public init(isoprobeVersion: String, hostKernel: String, guestHost: GuestHost, paths: [Outcome]) {
        self.isoprobeVersion = isoprobeVersion
        self.hostKernel = hostKernel
        self.guestHost = guestHost
        self.paths = paths
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        isoprobeVersion = try c.decode(String.self, forKey: .isoprobeVersion)
        hostKernel = try c.decode(String.self, forKey: .hostKernel)
        guestHost = try c.decode(GuestHost.self, forKey: .guestHost)
        paths = try c.decode([Outcome].self, forKey: .paths)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(isoprobeVersion, forKey: .isoprobeVersion)
        try c.encode(hostKernel, forKey: .hostKernel)
        try c.encode(guestHost, forKey: .guestHost)
        try c.encode(paths, forKey: .paths)
        try c.encode(allProven, forKey: .allProven)
    }

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
