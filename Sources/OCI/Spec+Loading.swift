import Foundation

extension Spec {
    /// Reads a `config.json`. Errors name the file and, for JSON problems, the key and what
    /// was expected, in one line.
    public static func load(from path: String) throws -> Spec {
        if let problem = unreadable(path) { throw OCIConfigError(file: path, nil, problem) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OCIConfigError(file: path, nil, "cannot be read")
        }
        return try decode(data, source: path)
    }

    /// Why `path` is no file to read, in words, or nil. Foundation's own errors would say
    /// "NSCocoaErrorDomain error 256" of a folder.
    public static func unreadable(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            return errno == ENOENT ? "does not exist" : "cannot be read: \(String(cString: strerror(errno)))"
        }
        if st.st_mode & S_IFMT == S_IFDIR { return "is a folder, not a file" }
        return access(path, R_OK) == 0 ? nil : "cannot be read: \(String(cString: strerror(errno)))"
    }

    /// Decodes a `config.json` held in memory; `source` names it in errors.
    public static func decode(_ data: Data, source: String? = nil) throws -> Spec {
        do {
            return try JSONDecoder().decode(Spec.self, from: data)
        } catch let error as DecodingError {
            if case let .dataCorrupted(context) = error, context.codingPath.isEmpty,
               let (keyPath, value) = OCIConfigError.unrepresentableNumber(in: data) {
                throw OCIConfigError(file: source, keyPath, "\(value) is out of range for this field")
            }
            throw OCIConfigError(decoding: error, file: source)
        } catch {
            throw OCIConfigError(file: source, nil, "not valid JSON: \((error as NSError).localizedDescription)")
        }
    }

    /// The JSON runc reads: sorted keys and indented, so configs diff well and read easily.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes `encoded()` to `path` (a bundle's `config.json`), whole or not at all: a
    /// sibling file renamed over it. (Foundation's `.atomic` on Linux leaves a
    /// TemporaryDirectory.* behind in /tmp on every write.)
    public func write(to path: String) throws {
        do {
            let partial = path + ".partial"
            try encoded().write(to: URL(fileURLWithPath: partial))
            guard rename(partial, path) == 0 else {
                let err = errno
                unlink(partial)
                throw OCIConfigError(file: path, nil, "cannot write: \(String(cString: strerror(err)))")
            }
        } catch let error as OCIConfigError {
            throw error
        } catch {
            throw OCIConfigError(file: path, nil, "cannot write: \((error as NSError).localizedDescription)")
        }
    }
}

extension OCIConfigError {
    /// One line from a decoder error: where (`process.args`), what was expected, what was found.
    init(decoding error: DecodingError, file: String?) {
        func path(_ keys: [CodingKey]) -> String {
            keys.reduce(into: "") { path, key in
                if let index = key.intValue {
                    path += "[\(index)]"
                } else {
                    path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
        }
        switch error {
        case let .typeMismatch(type, context):
            self.init(file: file, path(context.codingPath),
                      "expected \(Self.describe(type))\(Self.found(in: context.debugDescription))")
        case let .valueNotFound(type, context):
            self.init(file: file, path(context.codingPath), "expected \(Self.describe(type)), found null")
        case let .keyNotFound(key, context):
            self.init(file: file, path(context.codingPath + [key]), "required key is missing")
        case let .dataCorrupted(context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let location = path(context.codingPath)
            if location.isEmpty {
                self.init(file: file, nil, "not valid JSON: \(underlying ?? context.debugDescription)")
            } else {
                self.init(file: file, location, context.debugDescription)
            }
        @unknown default:
            self.init(file: file, nil, "\(error)")
        }
    }

    /// "an array", "a string", ... rather than Swift's `Array<String>`.
    private static func describe(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array<") || name.hasPrefix("[") { return "an array" }
        if name.hasPrefix("Dictionary<") { return "an object" }
        switch name {
        case "String": return "a string"
        case "Bool": return "true or false"
        case "Int", "Int8", "Int16", "Int32", "Int64": return "an integer"
        case "UInt", "UInt8", "UInt16", "UInt32", "UInt64": return "a non-negative integer"
        case "Double", "Float": return "a number"
        default: return "an object"
        }
    }

    /// ", found a string" from the decoder's "... but found a string instead." when present.
    private static func found(in debugDescription: String) -> String {
        guard let range = debugDescription.range(of: "found ") else { return "" }
        var rest = debugDescription[range.lowerBound...]
        if rest.hasSuffix(".") { rest = rest.dropLast() }
        if rest.hasSuffix(" instead") { rest = rest.dropLast(" instead".count) }
        return ", " + rest
    }
}
