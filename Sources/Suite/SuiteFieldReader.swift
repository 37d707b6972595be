import Foundation
import IsoprobeCore

/// Typed access to a table's values with the error messages the suite format promises.
struct SuiteFieldReader {
    let path: String

    func fail(_ position: SourcePosition, _ field: String, _ message: String) -> IsoprobeError {
        SuiteFile.error(path: path, at: position, field: field, message)
    }

    func unknownKeys(_ table: TOMLTable, known: [String], prefix: String) throws {
        for entry in table.entries where !known.contains(entry.key) {
            var message = "unknown key"
            if let guess = Suggestion.closest(to: entry.key, among: known) { message += "; did you mean '\(guess)'?" } else {
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

    func environments(_ t: TOMLTable, _ key: String, field: String) throws -> [EnvironmentKind]? {
        guard let node = t[key] else { return nil }
        guard case .array(let items) = node.value, !items.isEmpty else {
            throw fail(node.position, field, "expected a non-empty array of environments such as [\"native\", \"container\"], got \(node.value.shown)")
        }
        var out: [EnvironmentKind] = []
        for item in items {
            guard case .string(let name) = item.value, let env = EnvironmentKind(rawValue: name) else {
                throw fail(item.position, field, "expected one of \(EnvironmentKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got \(item.value.shown)")
            }
            guard !out.contains(env) else { throw fail(item.position, field, "\"\(env.rawValue)\" is listed twice") }
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
}
