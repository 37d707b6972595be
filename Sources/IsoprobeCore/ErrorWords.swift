import Foundation
import SystemPackage

/// Errors from the JSON decoder, Foundation and the C library (errno) in words, for the one
/// line isoprobe prints: never a Swift dump (`DecodingError.keyNotFound(CodingKeys(...))`)
/// or a Swift type name.
public enum ErrorWords {
    /// Where the decoder stopped (`process.args`, `runs[0].exit.kind`; "" at the top) and
    /// what was wrong there. `snakeCase`: the JSON's keys are the snake_case of the fields'.
    public static func decoding(_ error: DecodingError, snakeCase: Bool = false) -> (path: String, problem: String) {
        func path(_ keys: [CodingKey]) -> String {
            keys.reduce(into: "") { path, key in
                if let index = key.intValue {
                    path += "[\(index)]"
                } else {
                    let name = snakeCase ? snakeCased(key.stringValue) : key.stringValue
                    path += path.isEmpty ? name : ".\(name)"
                }
            }
        }
        switch error {
        case let .typeMismatch(type, context):
            return (path(context.codingPath), "expected \(describe(type))\(found(in: context.debugDescription))")
        case let .valueNotFound(type, context):
            return (path(context.codingPath), "expected \(describe(type)), found null")
        case let .keyNotFound(key, context):
            return (path(context.codingPath + [key]), "required key is missing")
        case let .dataCorrupted(context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let location = path(context.codingPath)
            return location.isEmpty ? ("", "not valid JSON: \(underlying ?? context.debugDescription)")
                : (location, context.debugDescription)
        @unknown default:
            return ("", "does not decode")
        }
    }

    /// `text` safe to print as one line of a terminal: control characters (a newline, an
    /// escape sequence, a form feed from a hostile file's key or value) and Unicode's line
    /// and paragraph separators are written as escapes (`\n`, `\u{1b}`); tabs stay.
    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case _ where needsEscape(scalar): out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\t" && (scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}")
    }

    /// `decoding` as one phrase: "exit.kind: required key is missing".
    public static func describe(_ error: DecodingError, snakeCase: Bool = false) -> String {
        let (path, problem) = decoding(error, snakeCase: snakeCase)
        return path.isEmpty ? problem : "\(path): \(problem)"
    }

    /// Any error in words: the decoder's by `describe`, Foundation's file errors by their
    /// system reason ("Not a directory", not "NSCocoaErrorDomain Code=512 ..."), others as
    /// they describe themselves (isoprobe's own errors are one line already).
    public static func of(_ error: Error) -> String {
        if let e = error as? DecodingError { return describe(e) }
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
        if let code = posixCode(ns) { return of(errno: code) }
        return ns.localizedDescription
    }

    /// An errno in the C library's words ("No such file or directory"): the one place isoprobe
    /// turns a code into text.
    public static func of(errno code: Int32) -> String {
        Errno(rawValue: code).description
    }

    /// The errno a Foundation error stands for: its own, or its underlying error's.
    static func posixCode(_ error: NSError) -> Int32? {
        if error.domain == NSPOSIXErrorDomain { return Int32(truncatingIfNeeded: error.code) }
        // On Linux the underlying error may be a Swift POSIXError rather than an NSError.
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? Error { return posixCode(underlying as NSError) }
        switch CocoaError.Code(rawValue: error.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return ENOENT
        case .fileReadNoPermission, .fileWriteNoPermission: return EACCES
        case .fileWriteOutOfSpace: return ENOSPC
        default: return nil
        }
    }

    /// "an array", "a string", ... rather than Swift's `Array<String>`.
    static func describe(_ type: Any.Type) -> String {
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
    static func found(in debugDescription: String) -> String {
        guard let range = debugDescription.range(of: "found ") else { return "" }
        var rest = debugDescription[range.lowerBound...]
        if rest.hasSuffix(".") { rest = rest.dropLast() }
        if rest.hasSuffix(" instead") { rest = rest.dropLast(" instead".count) }
        return ", " + rest
    }

    /// `wallNs` → `wall_ns`, as the result encoder writes keys.
    static func snakeCased(_ name: String) -> String {
        name.reduce(into: "") { out, c in
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
    }
}
