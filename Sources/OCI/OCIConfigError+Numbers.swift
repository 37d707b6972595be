import Foundation

extension OCIConfigError {
    /// The key holding a number its field cannot store (a negative uid, a fraction, a value
    /// past the type's range). Foundation's JSONDecoder reports those as "not valid JSON"
    /// with no key, so the number is found by substitution: with the first k numbers (in
    /// document order) set to 0, the document decodes exactly when the offender is among
    /// them (0 fits every numeric field, so zeroing never breaks one), and the smallest such
    /// k is found by bisection: a config of n numbers costs log n decodes, not n.
    static func unrepresentableNumber(in data: Data) -> (keyPath: String, value: String)? {
        // Only a document JSONSerialization can write again: it stops the process, rather
        // than throw, on anything else (a bare number, say, which it reads with fragments).
        guard let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              JSONSerialization.isValidJSONObject(tree) else {
            return nil
        }
        let all = numbers(in: tree, at: [])
        func decodesWithFirst(_ k: Int) -> Bool? {
            var left = k
            guard let changed = try? JSONSerialization.data(withJSONObject: zeroing(&left, in: tree)) else { return nil }
            return !failsWithoutKey(changed)
        }
        guard !all.isEmpty, decodesWithFirst(all.count) == true else { return nil }
        var low = 1, high = all.count    // decodes with the first `high`; the answer is in low...high
        while low < high {
            let middle = (low + high) / 2
            guard let decodes = decodesWithFirst(middle) else { return nil }
            if decodes { high = middle } else { low = middle + 1 }
        }
        let (path, number) = all[high - 1]
        return (render(path), number.stringValue)
    }

    /// `value` with its first `count` numbers (in the order `numbers` lists them) set to 0.
    private static func zeroing(_ count: inout Int, in value: Any) -> Any {
        guard count > 0 else { return value }
        if var object = value as? [String: Any] {
            for key in object.keys.sorted() where count > 0 { object[key] = zeroing(&count, in: object[key] as Any) }
            return object
        }
        if var array = value as? [Any] {
            for index in array.indices where count > 0 { array[index] = zeroing(&count, in: array[index]) }
            return array
        }
        if let number = value as? NSNumber, String(cString: number.objCType) != "c" {
            count -= 1
            return NSNumber(value: 0)
        }
        return value
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

    private static func render(_ path: [Step]) -> String {
        path.reduce(into: "") { text, step in
            switch step {
            case let .key(key): text += text.isEmpty ? key : ".\(key)"
            case let .index(index): text += "[\(index)]"
            }
        }
    }
}
