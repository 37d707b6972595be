import Foundation
import IsoprobeCore
import Suite

extension VerdictPolicy {
    static let fileKeys = ["description", "required"]

    /// A policy file: TOML with `required`, a list of check ids and wildcards (`proc.*`,
    /// `priv.call.*`, `*`), and an optional `description`. Read and checked like a suite file,
    /// before anything runs: every mistake is one line, `FILE:LINE:COL: FIELD: what is wrong`.
    public static func load(path: String) throws -> VerdictPolicy {
        let missing = IsoprobeError(.usage, "--policy \(path): neither hardened, config nor a policy file that can be read",
                                    fix: "give hardened, config, or a TOML file with required = [\"proc.*\", ...]")
        return try parse(text: TOMLFile.text(path: path, what: "policy file", missing: missing), path: path)
    }

    public static func parse(text: String, path: String) throws -> VerdictPolicy {
        func fail(_ at: SourcePosition, _ field: String?, _ message: String) -> IsoprobeError {
            TOMLFile.error(path: path, at: at, field: field, message)
        }
        let root = try TOMLFile.root(text: text, path: path)
        for entry in root.entries where !fileKeys.contains(entry.key) {
            let guess = Suggestion.closest(to: entry.key, among: fileKeys)
            throw fail(entry.keyPosition, entry.key,
                       "unknown key; " + (guess.map { "did you mean '\($0)'?" } ?? "expected one of: \(fileKeys.joined(separator: ", "))"))
        }
        if let node = root["description"] {
            guard case .string = node.value else { throw fail(node.position, "description", "expected a string, got \(node.value.shown)") }
        }
        let example = "such as [\"proc.*\", \"net.reach_host\"]"
        guard let node = root["required"] else {
            throw fail(SourcePosition(line: 1, column: 1), "required", "missing: list the checks that must hold, \(example)")
        }
        guard case .array(let items) = node.value else {
            throw fail(node.position, "required", "expected an array of check ids \(example), got \(node.value.shown)")
        }
        guard !items.isEmpty else {
            throw fail(node.position, "required", "an empty list requires nothing: use --policy config for that")
        }
        var ids: Set<String> = []
        var seen: Set<String> = []
        for item in items {
            guard case .string(let pattern) = item.value else {
                throw fail(item.position, "required", "expected a check id or a wildcard as a string, got \(item.value.shown)")
            }
            guard seen.insert(pattern).inserted else { throw fail(item.position, "required", "\"\(pattern)\" is listed twice") }
            let matched = matches(pattern)
            guard !matched.isEmpty else { throw fail(item.position, "required", unknown(pattern)) }
            ids.formUnion(matched)
        }
        return .file(path, requiring: ids)
    }

    /// The check ids a pattern names: an id, `PREFIX.*` (every id under the prefix), or `*`.
    static func matches(_ pattern: String) -> [String] {
        let ids = BoundaryCheck.all.map(\.id)
        if pattern == "*" { return ids }
        if pattern.hasSuffix(".*") {
            let prefix = pattern.dropLast(1)
            return ids.filter { $0.hasPrefix(prefix) }
        }
        return ids.contains(pattern) ? [pattern] : []
    }

    static func unknown(_ pattern: String) -> String {
        let wildcards = Self.wildcards
        if pattern.hasSuffix(".*") || pattern.contains("*") {
            return "\"\(pattern)\" matches no check; wildcards are \(wildcards.joined(separator: ", ")) and *"
        }
        let guess = Suggestion.closest(to: pattern, among: BoundaryCheck.all.map(\.id), within: 3)
        return "no check \"\(pattern)\"" + (guess.map { "; did you mean \"\($0)\"?" }
            ?? "; give an id such as proc.see_host, or a wildcard: \(wildcards.joined(separator: ", "))")
    }

    /// Every `PREFIX.*` that names a group of checks: each category's, and priv.call.*.
    static var wildcards: [String] {
        var out: [String] = []
        for id in BoundaryCheck.all.map(\.id) {
            let parts = id.split(separator: ".")
            for n in 1..<parts.count {
                let w = parts.prefix(n).joined(separator: ".") + ".*"
                if !out.contains(w) { out.append(w) }
            }
        }
        return out
    }
}
