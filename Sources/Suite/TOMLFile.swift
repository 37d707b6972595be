import Foundation
import IsoprobeCore

/// A TOML file isoprobe reads (a suite, a verify policy): its text and its root table, every
/// mistake in one line, `FILE:LINE:COL: FIELD: what is wrong`.
public enum TOMLFile {
    /// The file's text. `missing` is the error when it cannot be read; `what` names the kind
    /// of file when it is not text ("suite file").
    public static func text(path: String, what: String, missing: IsoprobeError) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw missing }
        return try text(data: data, path: path, what: what)
    }

    /// The text of a file's bytes, as read from `path`.
    public static func text(data: Data, path: String, what: String) throws -> String {
        guard let text = String(data: data, encoding: .utf8) else {
            throw IsoprobeError(.usage, "\(path): not UTF-8 text; a \(what) is TOML")
        }
        return text
    }

    /// The root table of `text`, read from `path`; a syntax mistake names its place.
    public static func root(text: String, path: String) throws -> TOMLTable {
        do { return try TOMLDocument.parse(text) } catch let e as TOMLError {
            throw error(path: path, at: e.position, field: nil, e.message)
        }
    }

    public static func error(path: String, at position: SourcePosition, field: String?, _ message: String) -> IsoprobeError {
        IsoprobeError(.usage, "\(path):\(position.line):\(position.column): " + (field.map { "\($0): " } ?? "") + message)
    }
}
