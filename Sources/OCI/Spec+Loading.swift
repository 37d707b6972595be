import Foundation
import IsoprobeCore

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
            return errno == ENOENT ? "does not exist" : "cannot be read: \(ErrorWords.of(errno: errno))"
        }
        if st.st_mode & S_IFMT == S_IFDIR { return "is a folder, not a file" }
        return access(path, R_OK) == 0 ? nil : "cannot be read: \(ErrorWords.of(errno: errno))"
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
            try WorkingFile.write(encoded(), to: partial)
            guard rename(partial, path) == 0 else {
                let err = errno
                unlink(partial)
                throw OCIConfigError(file: path, nil, "cannot write: \(ErrorWords.of(errno: err))")
            }
        } catch let error as OCIConfigError {
            throw error
        } catch {
            throw OCIConfigError(file: path, nil, "cannot write: \(WorkingFile.words(error))")
        }
    }
}

extension OCIConfigError {
    /// One line from a decoder error: where (`process.args`), what was expected, what was found.
    init(decoding error: DecodingError, file: String?) {
        let (path, problem) = ErrorWords.decoding(error)
        self.init(file: file, path.isEmpty ? nil : path, problem)
    }
}
