import Foundation
import IsoprobeCore

/// Reads and checks a whole suite file before anything runs. Every mistake is one line:
/// `FILE:LINE:COL: FIELD: what is wrong; what was expected`.
public enum SuiteFile {
    public static let environments = ["native", "container", "vm"]
    static let topKeys = ["name", "description", "repetitions", "warmups", "environments", "required", "threshold",
                          "timeout", "container", "vm", "workload"]
    static let containerKeys = ["runtime", "memory", "cpus", "pids", "oci_config"]
    static let vmKeys = ["vcpus", "memory_mib", "kernel", "accel"]
    static let workloadKeys = ["spec", "name", "params", "environments", "repetitions"]

    public static func load(path: String) throws -> Suite {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IsoprobeError(.usage, "\(path): no such suite file",
                                fix: "give a suite file such as fixtures/suites/default.toml")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw IsoprobeError(.usage, "\(path): not UTF-8 text; a suite file is TOML")
        }
        return try parse(text: text, path: path)
    }

    public static func error(path: String, at position: SourcePosition, field: String?, _ message: String) -> IsoprobeError {
        IsoprobeError(.usage, "\(path):\(position.line):\(position.column): " + (field.map { "\($0): " } ?? "") + message)
    }

    public static func parse(text: String, path: String) throws -> Suite {
        let root: TOMLTable
        do { root = try TOMLDocument.parse(text) } catch let e as TOMLError {
            throw error(path: path, at: e.position, field: nil, e.message)
        }
        let reader = Reader(path: path)
        try reader.unknownKeys(root, known: topKeys, prefix: "")
        let baseDir = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String { p.hasPrefix("/") || baseDir.isEmpty ? p : baseDir + "/" + p }

        let name = try reader.string(root, "name") ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let environments = try reader.environments(root, "environments", field: "environments") ?? ["native"]
        var suite = Suite(
            path: path, name: name, description: try reader.string(root, "description"),
            repetitions: try reader.integer(root, "repetitions", min: 1) ?? 5,
            warmups: try reader.integer(root, "warmups", min: 0) ?? 1,
            environments: environments,
            required: try reader.boolean(root, "required") ?? false,
            threshold: try reader.fraction(root, "threshold") ?? 0.05,
            timeout: try reader.positive(root, "timeout", prefix: ""),
            container: .init(), vm: .init(), workloads: [])

        if let node = root["container"] {
            let t = try reader.table(node, field: "container")
            try reader.unknownKeys(t, known: containerKeys, prefix: "container.")
            suite.container.runtime = try reader.string(t, "runtime", prefix: "container.") ?? "runc"
            if let memory = try reader.string(t, "memory", prefix: "container.") {
                guard let bytes = ByteSize.parse(memory) else {
                    throw reader.fail(t["memory"]!.position, "container.memory", "expected a size such as \"64M\" or \"1G\", got \"\(memory)\"")
                }
                suite.container.memory = memory
                suite.container.memoryBytes = bytes
            }
            suite.container.cpus = try reader.positive(t, "cpus", prefix: "container.")
            suite.container.pids = try reader.integer(t, "pids", min: 1, prefix: "container.").map(Int64.init)
            suite.container.ociConfig = try reader.string(t, "oci_config", prefix: "container.").map(resolve)
        }
        if let node = root["vm"] {
            let t = try reader.table(node, field: "vm")
            try reader.unknownKeys(t, known: vmKeys, prefix: "vm.")
            suite.vm.vcpus = try reader.integer(t, "vcpus", min: 1, prefix: "vm.") ?? 1
            suite.vm.memoryMiB = try reader.integer(t, "memory_mib", min: 256, prefix: "vm.") ?? 1024
            suite.vm.kernel = try reader.string(t, "kernel", prefix: "vm.").map(resolve)
            if let accel = try reader.string(t, "accel", prefix: "vm.") {
                guard ["auto", "kvm", "tcg"].contains(accel) else {
                    throw reader.fail(t["accel"]!.position, "vm.accel", "expected \"auto\", \"kvm\" or \"tcg\", got \"\(accel)\"")
                }
                suite.vm.accel = accel
            }
        }
        guard let workloads = root.entry("workload") else {
            throw error(path: path, at: SourcePosition(line: 1, column: 1), field: "workload",
                        "the suite has no workloads; add [[workload]] tables with spec = \"NAME:key=value\"")
        }
        guard case .array(let items) = workloads.node.value, items.allSatisfy({ if case .table = $0.value { return true }; return false })
        else {
            throw reader.fail(workloads.keyPosition, "workload", "expected [[workload]] tables, got \(workloads.node.value.shown)")
        }
        var seen: [String: Int] = [:]
        for (n, item) in items.enumerated() {
            guard case .table(let t) = item.value else { continue }
            let field = "workload[\(n + 1)]."
            try reader.unknownKeys(t, known: workloadKeys, prefix: field)
            let spec = try reader.workloadSpec(t, at: item.position, field: field)
            // Parameter order does not make a different workload.
            let identity = ([spec.name] + spec.parameters.map { "\($0.key)=\($0.value)" }.sorted()).joined(separator: ",")
            if let first = seen[identity] {
                throw reader.fail(item.position, "workload[\(n + 1)]", "'\(spec.text)' is already workload[\(first)]; remove one")
            }
            seen[identity] = n + 1
            let subset = try reader.environments(t, "environments", field: field + "environments")
            if let subset, let outside = subset.first(where: { !suite.environments.contains($0) }) {
                throw reader.fail(t["environments"]!.position, field + "environments",
                                  "\"\(outside)\" is not among the suite's environments; expected a subset of "
                                  + suite.environments.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            suite.workloads.append(SuiteWorkload(
                spec: spec, environments: subset,
                repetitions: try reader.integer(t, "repetitions", min: 1, prefix: field), index: n + 1,
                position: item.position))
        }
        return suite
    }
}

/// Typed access to a table's values with the error messages the suite format promises.
struct Reader {
    let path: String

    func fail(_ position: SourcePosition, _ field: String, _ message: String) -> IsoprobeError {
        SuiteFile.error(path: path, at: position, field: field, message)
    }

    func unknownKeys(_ table: TOMLTable, known: [String], prefix: String) throws {
        for entry in table.entries where !known.contains(entry.key) {
            let guess = known.min { Self.distance(entry.key, $0) < Self.distance(entry.key, $1) }
            var message = "unknown key"
            if let guess, Self.distance(entry.key, guess) <= 2 { message += "; did you mean '\(guess)'?" } else {
                message += "; expected one of: \(known.joined(separator: ", "))"
            }
            throw fail(entry.keyPosition, prefix + entry.key, message)
        }
    }

    func string(_ t: TOMLTable, _ key: String, prefix: String = "") throws -> String? {
        guard let node = t[key] else { return nil }
        guard case .string(let s) = node.value else { throw fail(node.position, prefix + key, "expected a string, got \(node.value.shown)") }
        return s
    }

    func boolean(_ t: TOMLTable, _ key: String, prefix: String = "") throws -> Bool? {
        guard let node = t[key] else { return nil }
        guard case .boolean(let b) = node.value else { throw fail(node.position, prefix + key, "expected true or false, got \(node.value.shown)") }
        return b
    }

    func integer(_ t: TOMLTable, _ key: String, min: Int, prefix: String = "") throws -> Int? {
        guard let node = t[key] else { return nil }
        guard case .integer(let v) = node.value, v >= min, v <= Int64(Int32.max) else {
            throw fail(node.position, prefix + key, "expected an integer >= \(min), got \(node.value.shown)")
        }
        return Int(v)
    }

    func number(_ node: TOMLNode) -> Double? {
        switch node.value {
        case .integer(let v): return Double(v)
        case .float(let d): return d.isFinite ? d : nil
        default: return nil
        }
    }

    func positive(_ t: TOMLTable, _ key: String, prefix: String) throws -> Double? {
        guard let node = t[key] else { return nil }
        guard let v = number(node), v > 0 else { throw fail(node.position, prefix + key, "expected a positive number, got \(node.value.shown)") }
        return v
    }

    func fraction(_ t: TOMLTable, _ key: String) throws -> Double? {
        guard let node = t[key] else { return nil }
        guard let v = number(node), v > 0, v < 1 else {
            throw fail(node.position, key, "expected a number between 0 and 1 (0.05 is 5%), got \(node.value.shown)")
        }
        return v
    }

    func table(_ node: TOMLNode, field: String) throws -> TOMLTable {
        guard case .table(let t) = node.value else { throw fail(node.position, field, "expected a table [\(field)], got \(node.value.shown)") }
        return t
    }

    func environments(_ t: TOMLTable, _ key: String, field: String) throws -> [String]? {
        guard let node = t[key] else { return nil }
        guard case .array(let items) = node.value, !items.isEmpty else {
            throw fail(node.position, field, "expected a non-empty array of environments such as [\"native\", \"container\"], got \(node.value.shown)")
        }
        var out: [String] = []
        for item in items {
            guard case .string(let env) = item.value, SuiteFile.environments.contains(env) else {
                throw fail(item.position, field, "expected one of \(SuiteFile.environments.map { "\"\($0)\"" }.joined(separator: ", ")), got \(item.value.shown)")
            }
            guard !out.contains(env) else { throw fail(item.position, field, "\"\(env)\" is listed twice") }
            out.append(env)
        }
        return out
    }

    func workloadSpec(_ t: TOMLTable, at position: SourcePosition, field: String) throws -> WorkloadSpec {
        let specText = try string(t, "spec", prefix: field)
        let name = try string(t, "name", prefix: field)
        switch (specText, name) {
        case (nil, nil):
            throw fail(position, String(field.dropLast()), "a workload needs spec = \"NAME:key=value\" or name = \"NAME\"")
        case (.some, .some):
            throw fail(t.entry("name")!.keyPosition, field + "name", "give spec or name (with params), not both")
        case (.some(let text), nil):
            if let params = t.entry("params") { throw fail(params.keyPosition, field + "params", "params go with name, not with spec") }
            do { return try WorkloadSpec.parse(text) } catch let e as IsoprobeError {
                throw fail(t["spec"]!.position, field + "spec", e.message)
            }
        case (nil, .some(let name)):
            var text = name
            if let node = t["params"] {
                guard case .table(let params) = node.value else {
                    throw fail(node.position, field + "params", "expected a table such as { count = 1000 }, got \(node.value.shown)")
                }
                var pairs: [String] = []
                for entry in params.entries {
                    switch entry.node.value {
                    case .integer(let v): pairs.append("\(entry.key)=\(v)")
                    case .string(let s): pairs.append("\(entry.key)=\(s)")
                    case .boolean(let b): pairs.append("\(entry.key)=\(b ? 1 : 0)")
                    case .float(let d): pairs.append("\(entry.key)=\(d)")
                    default:
                        throw fail(entry.node.position, field + "params." + entry.key, "expected a number or string, got \(entry.node.value.shown)")
                    }
                }
                if !pairs.isEmpty { text += ":" + pairs.joined(separator: ",") }
            }
            do { return try WorkloadSpec.parse(text) } catch let e as IsoprobeError {
                throw fail(t["name"]!.position, field + "name", e.message)
            }
        }
    }

    /// Levenshtein distance, for "did you mean".
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where i <= a.count {
            var prev = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where j <= b.count {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
}
