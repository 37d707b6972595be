import Foundation

extension OCIConfigError {
    /// The key holding a number its field cannot store (a negative uid, a fraction, a value
    /// past the type's range). Foundation's JSONDecoder reports those as "not valid JSON"
    /// with no key, so the number is found by substitution: numbers are set to 0 one after
    /// another until the document decodes; the last one changed is the offender.
    static func unrepresentableNumber(in data: Data) -> (keyPath: String, value: String)? {
        guard var tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return nil
        }
        for (path, number) in numbers(in: tree, at: []) {
            tree = replacing(at: path, in: tree, with: NSNumber(value: 0))
            guard let changed = try? JSONSerialization.data(withJSONObject: tree) else { return nil }
            if !failsWithoutKey(changed) { return (render(path), number.stringValue) }
        }
        return nil
    }

    /// True for the decoder's key-less "not valid JSON" failure.
    static func failsWithoutKey(_ data: Data) -> Bool {
        do {
            _ = try JSONDecoder().decode(Spec.self, from: data)
            return false
        } catch let DecodingError.dataCorrupted(context) {
            return context.codingPath.isEmpty
        } catch {
            return false
        }
    }

    private enum Step {
        case key(String)
        case index(Int)
    }

    private static func numbers(in value: Any, at path: [Step]) -> [([Step], NSNumber)] {
        if let object = value as? [String: Any] {
            return object.keys.sorted().flatMap { key in numbers(in: object[key] as Any, at: path + [.key(key)]) }
        }
        if let array = value as? [Any] {
            return array.enumerated().flatMap { numbers(in: $1, at: path + [.index($0)]) }
        }
        // Booleans arrive as NSNumber too, with the Objective-C type code of a char.
        if let number = value as? NSNumber, String(cString: number.objCType) != "c" {
            return [(path, number)]
        }
        return []
    }

    private static func replacing(at path: [Step], in value: Any, with replacement: Any) -> Any {
        guard let step = path.first else { return replacement }
        let rest = Array(path.dropFirst())
        switch step {
        case let .key(key):
            guard var object = value as? [String: Any], let child = object[key] else { return value }
            object[key] = replacing(at: rest, in: child, with: replacement)
            return object
        case let .index(index):
            guard var array = value as? [Any], array.indices.contains(index) else { return value }
            array[index] = replacing(at: rest, in: array[index], with: replacement)
            return array
        }
    }

    private static func render(_ path: [Step]) -> String {
        path.reduce(into: "") { text, step in
            switch step {
            case let .key(key): text += text.isEmpty ? key : ".\(key)"
            case let .index(index): text += "[\(index)]"
            }
        }
    }
}
