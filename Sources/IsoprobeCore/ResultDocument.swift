import Foundation

/// The top level of `--json` output: schema identity, the host, and every run.
public struct ResultDocument: Codable, Sendable {
    public static let schemaName = "isoprobe.result"
    public static let currentVersion = 6

    public var schema: String
    public var schemaVersion: Int
    public var isoprobeVersion: String
    public var createdAt: Date
    public var host: HostFacts
    public var runs: [RunResult]
    /// Statistics over the runs (medians, intervals, ratios to native), when computed.
    public var summary: SummaryReport?
    /// The suite file the runs came from, when there was one.
    public var suite: String?

    public init(host: HostFacts, runs: [RunResult], createdAt: Date = Date(), summary: SummaryReport? = nil,
                suite: String? = nil) {
        self.summary = summary
        self.suite = suite
        schema = Self.schemaName
        schemaVersion = Self.currentVersion
        isoprobeVersion = IsoprobeVersion.current
        self.createdAt = createdAt
        self.host = host
        self.runs = runs
    }

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .iso8601
        return d
    }

    public func jsonData() throws -> Data { try Self.encoder().encode(self) }
}

public enum IsoprobeVersion {
    public static let current = "0.1.0"
}

/// Facts about the machine that shape the numbers.
public struct HostFacts: Codable, Sendable, Equatable {
    public var hostname: String
    public var kernel: String
    public var architecture: String
    public var cpuModel: String
    public var cpus: Int
    public var memoryBytes: UInt64
    public var cgroupLayout: String
    public var clocksource: String
    /// /sys/devices/system/cpu/vulnerabilities: each issue and the kernel's mitigation.
    public var mitigations: [String: String]?
    /// Filled as environments run: the OCI runtimes' versions by name, QEMU's version and the
    /// accelerator guests used (kvm or tcg).
    public var runtimeVersions: [String: String]?
    public var qemuVersion: String?
    public var accelerator: String?

    public init(hostname: String, kernel: String, architecture: String, cpuModel: String, cpus: Int,
                memoryBytes: UInt64, cgroupLayout: String, clocksource: String) {
        self.hostname = hostname
        self.kernel = kernel
        self.architecture = architecture
        self.cpuModel = cpuModel
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.cgroupLayout = cgroupLayout
        self.clocksource = clocksource
    }

    public static func current(cgroupLayout: String) -> HostFacts {
        var u = utsname()
        uname(&u)
        func field<T>(_ v: T) -> String {
            withUnsafeBytes(of: v) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown"
        let clock = (try? String(contentsOfFile: "/sys/devices/system/clocksource/clocksource0/current_clocksource",
                                 encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        var facts = HostFacts(hostname: field(u.nodename), kernel: field(u.release), architecture: field(u.machine),
                              cpuModel: model, cpus: ProcessInfo.processInfo.activeProcessorCount,
                              memoryBytes: ProcessInfo.processInfo.physicalMemory, cgroupLayout: cgroupLayout,
                              clocksource: clock)
        facts.mitigations = readMitigations()
        return facts
    }

    static func readMitigations(directory: String = "/sys/devices/system/cpu/vulnerabilities") -> [String: String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        var out: [String: String] = [:]
        for name in names {
            if let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) {
                out[name] = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return out
    }

    /// Takes the runtime, QEMU-side accelerator and guest facts the runs recorded.
    public mutating func note(_ run: RunResult) {
        if let rt = run.details?.runtime {
            var versions = runtimeVersions ?? [:]
            versions[rt.name] = rt.version
            runtimeVersions = versions
        }
        if let accel = run.details?.accelerator { accelerator = accel }
    }
}
