import Foundation
import IsoprobeCore

/// Reads and checks a whole suite file before anything runs. Every mistake is one line:
/// `FILE:LINE:COL: FIELD: what is wrong; what was expected`.
public enum SuiteFile {
    static let topKeys = ["name", "description", "repetitions", "warmups", "environments", "required", "threshold",
                          "precision", "max_time", "timeout", "container", "vm", "workload"]
    static let containerKeys = ["runtime", "memory", "cpus", "pids", "oci_config", "network"]
    static let vmKeys = ["vcpus", "memory_mib", "kernel", "accel", "fresh"]
    static let workloadKeys = ["spec", "name", "params", "environments", "repetitions"]

    public static func load(path: String) throws -> Suite {
        let missing = IsoprobeError(.usage, "\(path): no such suite file", fix: "give a suite file such as fixtures/suites/default.toml")
        return try parse(text: TOMLFile.text(path: path, what: "suite file", missing: missing), path: path)
    }

    /// A suite file's bytes, as `load` read them from `path`.
    public static func parse(data: Data, path: String) throws -> Suite {
        try parse(text: TOMLFile.text(data: data, path: path, what: "suite file"), path: path)
    }

    public static func error(path: String, at position: SourcePosition, field: String?, _ message: String) -> IsoprobeError {
        TOMLFile.error(path: path, at: position, field: field, message)
    }

    public static func parse(text: String, path: String) throws -> Suite {
        let root = try TOMLFile.root(text: text, path: path)
        let reader = SuiteFieldReader(path: path)
        try reader.unknownKeys(root, known: topKeys, prefix: "")
        let baseDir = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String { p.hasPrefix("/") || baseDir.isEmpty ? p : baseDir + "/" + p }

        let name = try reader.string(root, "name") ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let environments = try reader.environments(root, "environments", field: "environments") ?? [.native]
        var suite = Suite(
            path: path, name: name, description: try reader.string(root, "description"),
            repetitions: try reader.integer(root, "repetitions", min: 1) ?? 5,
            warmups: try reader.integer(root, "warmups", min: 0) ?? 1,
            environments: environments,
            required: try reader.boolean(root, "required") ?? false,
            threshold: try reader.fraction(root, "threshold") ?? 0.05,
            precision: try reader.fraction(root, "precision"),
            maxTime: try reader.positive(root, "max_time", prefix: ""),
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
                if let problem = ContainerLimitRules.memoryProblem(bytes) {
                    throw reader.fail(t["memory"]!.position, "container.memory", problem)
                }
                suite.container.memory = memory
                suite.container.memoryBytes = bytes
            }
            suite.container.cpus = try reader.positive(t, "cpus", prefix: "container.")
            if let cpus = suite.container.cpus, let problem = ContainerLimitRules.cpusProblem(cpus) {
                throw reader.fail(t["cpus"]!.position, "container.cpus", problem)
            }
            suite.container.pids = try reader.integer(t, "pids", min: 1, prefix: "container.").map(Int64.init)
            suite.container.ociConfig = try reader.string(t, "oci_config", prefix: "container.").map(resolve)
            if let network = try reader.string(t, "network", prefix: "container.") {
                guard let mode = NetworkMode(rawValue: network) else {
                    throw reader.fail(t["network"]!.position, "container.network", "expected \"bridge\", \"host\" or \"none\", got \"\(network)\"")
                }
                suite.container.network = mode
            }
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
            suite.vm.fresh = try reader.boolean(t, "fresh", prefix: "vm.") ?? false
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
                                  "\"\(outside.rawValue)\" is not among the suite's environments; expected a subset of "
                                  + suite.environments.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
            suite.workloads.append(SuiteWorkload(
                spec: spec, environments: subset,
                repetitions: try reader.integer(t, "repetitions", min: 1, prefix: field), index: n + 1,
                position: item.position, nameField: t["spec"] == nil ? "name" : "spec",
                namePosition: (t["spec"] ?? t["name"])!.position))
        }
        return suite
    }
}
