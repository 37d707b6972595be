/// A workload as the user names it: `NAME` or `NAME:key=value,key=value`, or an
/// arbitrary command (`isoprobe run -- CMD ARGS...`).
public struct WorkloadSpec: Sendable, Equatable {
    public var name: String
    public var parameters: [(key: String, value: String)]
    public var command: [String]?

    public static func == (a: WorkloadSpec, b: WorkloadSpec) -> Bool {
        a.name == b.name && a.command == b.command
            && a.parameters.map { "\($0.key)=\($0.value)" } == b.parameters.map { "\($0.key)=\($0.value)" }
    }

    public init(name: String, parameters: [(key: String, value: String)] = [], command: [String]? = nil) {
        self.name = name
        self.parameters = parameters
        self.command = command
    }

    /// Parses `NAME[:key=value,...]`.
    public static func parse(_ text: String) throws -> WorkloadSpec {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0]
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw IsoprobeError(.usage, "workload '\(text)': the name must be letters, digits, '-' or '_'",
                                fix: "write NAME or NAME:key=value,key=value, e.g. getpid:count=100000")
        }
        var params: [(key: String, value: String)] = []
        var seen: Set<String> = []
        if parts.count == 2 && !parts[1].isEmpty {
            for item in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
                let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else {
                    throw IsoprobeError(.usage, "workload '\(text)': parameter '\(item)' is not key=value",
                                        fix: "write NAME:key=value,key=value, e.g. getpid:count=100000")
                }
                if !seen.insert(kv[0]).inserted {
                    throw IsoprobeError(.usage, "workload '\(text)': parameter '\(kv[0])' is given twice")
                }
                params.append((kv[0], kv[1]))
            }
        }
        return WorkloadSpec(name: name, parameters: params)
    }

    public static func command(_ argv: [String]) -> WorkloadSpec {
        WorkloadSpec(name: (argv.first.map { ($0 as NSStringPath).lastComponent }) ?? "command",
                     parameters: [], command: argv)
    }

    public var text: String {
        if let command { return command.joined(separator: " ") }
        if parameters.isEmpty { return name }
        return name + ":" + parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    public func parameter(_ key: String) -> String? { parameters.first { $0.key == key }?.value }
}

/// Last path component without Foundation.
typealias NSStringPath = String
extension String {
    var lastComponent: String { split(separator: "/").last.map(String.init) ?? self }
}
