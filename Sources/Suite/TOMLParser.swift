/// The parser behind `TOMLDocument.parse`: one pass over the bytes, tables built in place.
///
/// Nothing in it recurses deeper than `TOMLDocument.nestingLimit`: a value may sit at most
/// that many levels below the root, counting each key of the table header and of a dotted
/// key, each array and each inline table's key on the way. A file nested deeper is refused
/// at the line and column where the limit is passed, before the parser (or anything that
/// walks the result) would run out of stack.
struct TOMLParser {
    let bytes: [UInt8]
    var i = 0
    var line = 1
    var lineStart = 0
    /// A byte offset on the current line whose column is known, so that each position costs
    /// only the bytes read since the last one (a long line is not counted again per value).
    var columnMark = 0
    var columnAtMark = 1

    init(_ text: String) { bytes = Array(text.utf8) }

    /// Columns count characters, not bytes, so they match what an editor shows.
    var position: SourcePosition {
        mutating get {
            let end = min(i, bytes.count)
            if columnMark < lineStart || columnMark > end {
                columnMark = lineStart
                columnAtMark = 1
            }
            while columnMark < end {
                if bytes[columnMark] & 0xC0 != 0x80 { columnAtMark += 1 }
                columnMark += 1
            }
            return SourcePosition(line: line, column: columnAtMark + max(0, i - bytes.count))
        }
    }

    /// A character for an error message that stays on one line.
    static func shown(_ c: UInt8) -> String {
        switch c {
        case 0x0A, 0x0D: return "the end of the line"
        case 0x09: return "a tab"
        case 0x20...0x7E: return "'\(Character(UnicodeScalar(c)))'"
        default: return "byte 0x\(String(c, radix: 16))"
        }
    }

    mutating func fail(_ message: String, at p: SourcePosition? = nil) -> TOMLError {
        TOMLError(position: p ?? position, message: message)
    }

    static func tooDeep(at p: SourcePosition) -> TOMLError {
        TOMLError(position: p, message: "nested more than \(TOMLDocument.nestingLimit) levels deep "
                  + "(table headers, dotted keys, arrays and inline tables count together)")
    }

    var atEnd: Bool { i >= bytes.count }
    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    /// Whether the bytes at the cursor are `s`.
    func looking(at s: [UInt8]) -> Bool {
        i + s.count <= bytes.count && bytes[i..<i + s.count].elementsEqual(s)
    }

    static let tripleQuote = Array("\"\"\"".utf8)
    static let tripleApostrophe = Array("'''".utf8)

    mutating func advance() {
        if bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
        i += 1
    }

    mutating func skipSpaces() { while let c = peek, c == 0x20 || c == 0x09 { i += 1 } }

    mutating func skipComment() {
        if peek == UInt8(ascii: "#") { while let c = peek, c != 0x0A { i += 1 } }
    }

    /// Spaces, comments and newlines (inside arrays).
    mutating func skipBlank() {
        while let c = peek {
            if c == 0x20 || c == 0x09 || c == 0x0D { i += 1 } else if c == 0x0A { advance() }
            else if c == UInt8(ascii: "#") { skipComment() } else { break }
        }
    }

    mutating func expectLineEnd() throws {
        skipSpaces()
        skipComment()
        if peek == 0x0D { i += 1 }
        guard let c = peek else { return }
        guard c == 0x0A else { throw fail("expected the end of the line, found \(Self.shown(c))") }
        advance()
    }

    // MARK: Document

    mutating func parseDocument() throws -> TOMLTable {
        let root = TOMLTableBuilder()
        var current = root      // the table being filled
        var currentDepth = 0    // how many keys its header has
        while !atEnd {
            skipBlank()
            guard let c = peek else { break }
            let start = position
            if c == UInt8(ascii: "[") {
                i += 1
                let arrayHeader = peek == UInt8(ascii: "[")
                if arrayHeader { i += 1 }
                skipSpaces()
                let keys = try parseKey(depth: 0)
                skipSpaces()
                guard peek == UInt8(ascii: "]") else { throw fail("expected ']' to close the table header") }
                i += 1
                if arrayHeader {
                    guard peek == UInt8(ascii: "]") else { throw fail("expected ']]' to close the array-of-tables header") }
                    i += 1
                }
                try expectLineEnd()
                current = try Self.open(root, path: keys, array: arrayHeader, at: start)
                currentDepth = keys.count
            } else {
                let keys = try parseKey(depth: currentDepth)
                skipSpaces()
                guard peek == UInt8(ascii: "=") else { throw fail("expected '=' after the key '\(keys.map(\.0).joined(separator: "."))'") }
                i += 1
                skipSpaces()
                let value = try parseValue(depth: currentDepth + keys.count)
                try expectLineEnd()
                try Self.insert(current, keys: keys[...], node: value)
            }
        }
        return root.build()
    }

    /// A [header] or [[header]]: creates (or for [[x]] appends) the table it names, and
    /// returns it: the table the lines below fill.
    static func open(_ root: TOMLTableBuilder, path: [(String, SourcePosition)], array: Bool,
                     at start: SourcePosition) throws -> TOMLTableBuilder {
        var table = root
        for (n, (key, pos)) in path.enumerated() {
            let last = n == path.count - 1
            switch table.content(key) {
            case nil:
                let made = TOMLTableBuilder(closed: last)
                table.add(key, at: pos, last && array ? .tables(TOMLTableList(made, at: start)) : .table(made), position: start)
                table = made
            case .table(let t)?:
                if last {
                    if array || t.closed || t.dotted {
                        throw TOMLError(position: start, message: "table '\(path.map(\.0).joined(separator: "."))' is defined twice")
                    }
                    t.closed = true
                }
                table = t
            case .tables(let list)?:
                if last {
                    guard array else { throw TOMLError(position: start, message: "'\(key)' is an array of tables; write [[\(key)]]") }
                    let made = TOMLTableBuilder(closed: true)
                    list.items.append((made, start))
                    table = made
                } else {
                    table = list.items[list.items.count - 1].table
                }
            case .done(.table)?:
                if last { throw TOMLError(position: start, message: "table '\(path.map(\.0).joined(separator: "."))' is defined twice") }
                throw TOMLError(position: pos, message: "'\(key)' is an inline table and cannot be extended")
            case .done(.array)?:
                // A static array (`x = [...]`) cannot be extended by [[x]] or [x.y].
                throw TOMLError(position: pos, message: "'\(key)' is an array value, not an array of tables")
            case .done?:
                throw TOMLError(position: pos, message: "'\(key)' is already a value, not a table")
            }
        }
        return table
    }

    /// key = value, where the key may be dotted (a.b = 1 makes table a).
    static func insert(_ table: TOMLTableBuilder, keys: ArraySlice<(String, SourcePosition)>, node: TOMLNode) throws {
        var table = table
        for (key, pos) in keys.dropLast() {
            switch table.content(key) {
            case nil:
                let made = TOMLTableBuilder(dotted: true)
                table.add(key, at: pos, .table(made), position: pos)
                table = made
            case .table(let t)? where !t.closed:
                table = t
            default:
                throw TOMLError(position: pos, message: "'\(key)' is already defined and cannot take dotted keys")
            }
        }
        let (key, pos) = keys.last!
        if table.content(key) != nil { throw TOMLError(position: pos, message: "'\(key)' is defined twice") }
        table.add(key, at: pos, .done(node.value), position: node.position)
    }

    // MARK: Keys

    /// A key, dotted or not, whose first part sits `depth` levels below the root's.
    mutating func parseKey(depth: Int) throws -> [(String, SourcePosition)] {
        var parts: [(String, SourcePosition)] = []
        while true {
            skipSpaces()
            let p = position
            guard depth + parts.count < TOMLDocument.nestingLimit else { throw Self.tooDeep(at: p) }
            guard let c = peek else { throw fail("expected a key") }
            if c == UInt8(ascii: "\"") {
                parts.append((try parseBasicString(), p))
            } else if c == UInt8(ascii: "'") {
                parts.append((try parseLiteralString(), p))
            } else {
                let start = i
                while let c = peek, Self.isBare(c) { i += 1 }
                guard i > start else {
                    throw fail("expected a key (letters, digits, '-' or '_'), found \(Self.shown(c))")
                }
                parts.append((String(decoding: bytes[start..<i], as: UTF8.self), p))
            }
            skipSpaces()
            guard peek == UInt8(ascii: ".") else { return parts }
            i += 1
        }
    }

    /// Control characters other than tab must be escaped in TOML strings.
    static func isControl(_ c: UInt8) -> Bool { (c < 0x20 && c != 0x09) || c == 0x7F }

    static func isBare(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }

    // MARK: Values

    /// A value `depth` levels below the root (its key's depth; one more per array it is in).
    mutating func parseValue(depth: Int) throws -> TOMLNode {
        let p = position
        guard let c = peek else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "\""):
            return TOMLNode(value: .string(try parseBasicString()), position: p)
        case UInt8(ascii: "'"):
            return TOMLNode(value: .string(try parseLiteralString()), position: p)
        case UInt8(ascii: "["):
            return TOMLNode(value: .array(try parseArray(depth: depth)), position: p)
        case UInt8(ascii: "{"):
            return TOMLNode(value: .table(try parseInlineTable(depth: depth)), position: p)
        default:
            let start = i
            while let c = peek, c != 0x20, c != 0x09, c != 0x0A, c != 0x0D, c != UInt8(ascii: ","),
                  c != UInt8(ascii: "]"), c != UInt8(ascii: "}"), c != UInt8(ascii: "#") { i += 1 }
            let word = String(decoding: bytes[start..<i], as: UTF8.self)
            guard !word.isEmpty else { throw fail("expected a value") }
            if word == "true" { return TOMLNode(value: .boolean(true), position: p) }
            if word == "false" { return TOMLNode(value: .boolean(false), position: p) }
            if let n = Self.integer(word) { return TOMLNode(value: .integer(n), position: p) }
            if let d = Self.float(word) { return TOMLNode(value: .float(d), position: p) }
            throw fail("'\(word)' is not a TOML value (strings need quotes)", at: p)
        }
    }

    /// Digits of `radix` where every '_' sits between two digits.
    static func digits(_ s: Substring, radix: Int) -> String? {
        let chars = Array(s)
        for (n, c) in chars.enumerated() {
            if c == "_" {
                guard n > 0, n < chars.count - 1, chars[n - 1] != "_", chars[n + 1] != "_" else { return nil }
            } else {
                guard c.isASCII, let d = c.hexDigitValue, d < radix else { return nil }
            }
        }
        return chars.isEmpty ? nil : String(chars.filter { $0 != "_" })
    }

    static func integer(_ word: String) -> Int64? {
        var w = Substring(word)
        let negative = w.first == "-"
        let signed = w.first == "-" || w.first == "+"
        if signed { w = w.dropFirst() }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where w.hasPrefix(prefix) {
            guard !signed, let d = digits(w.dropFirst(2), radix: radix) else { return nil }
            return Int64(d, radix: radix)
        }
        guard let d = digits(w, radix: 10), !(d.count > 1 && d.hasPrefix("0")) else { return nil }
        return Int64((negative ? "-" : "") + d)
    }

    static func float(_ word: String) -> Double? {
        switch word {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: break
        }
        // sign? int-part (. digits)? (e sign? digits)?, each digit run with '_' only between digits.
        var w = Substring(word)
        if w.first == "-" || w.first == "+" { w = w.dropFirst() }
        let parts = w.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "E", maxSplits: 1, omittingEmptySubsequences: false) }
        guard parts.count <= 2 else { return nil }
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = digits(mantissa[0], radix: 10), !(whole.count > 1 && whole.hasPrefix("0")) else { return nil }
        var plain = whole
        if mantissa.count == 2 {
            guard let fraction = digits(mantissa[1], radix: 10) else { return nil }
            plain += "." + fraction
        }
        if parts.count == 2 {
            var e = parts[1]
            let sign = e.first == "-" ? "-" : ""
            if e.first == "-" || e.first == "+" { e = e.dropFirst() }
            guard let exponent = digits(e, radix: 10) else { return nil }
            plain += "e" + sign + exponent
        }
        guard mantissa.count == 2 || parts.count == 2 else { return nil }
        return Double((word.first == "-" ? "-" : "") + plain)
    }

    mutating func parseArray(depth: Int) throws -> [TOMLNode] {
        i += 1
        var items: [TOMLNode] = []
        while true {
            skipBlank()
            guard let c = peek else { throw fail("unterminated array: expected ']'") }
            if c == UInt8(ascii: "]") { i += 1; return items }
            guard depth < TOMLDocument.nestingLimit else { throw Self.tooDeep(at: position) }
            items.append(try parseValue(depth: depth + 1))
            skipBlank()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            guard !atEnd else { throw fail("unterminated array: expected ']'") }
            guard peek == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in the array") }
        }
    }

    mutating func parseInlineTable(depth: Int) throws -> TOMLTable {
        i += 1
        let table = TOMLTableBuilder(closed: true, inline: true)
        skipSpaces()
        if peek == UInt8(ascii: "}") { i += 1; return table.build() }
        while true {
            let keys = try parseKey(depth: depth)
            skipSpaces()
            guard peek == UInt8(ascii: "=") else { throw fail("expected '=' in the inline table") }
            i += 1
            skipSpaces()
            let value = try parseValue(depth: depth + keys.count)
            try Self.insert(table, keys: keys[...], node: value)
            skipSpaces()
            if peek == UInt8(ascii: ",") { i += 1; skipSpaces(); continue }
            guard peek == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in the inline table (inline tables stay on one line)") }
            i += 1
            return table.build()
        }
    }

    mutating func parseLiteralString() throws -> String {
        if looking(at: Self.tripleApostrophe) {
            i += 3
            if peek == 0x0D && bytes[i...].dropFirst().first == 0x0A { i += 1 }
            if peek == 0x0A { advance() }
            let start = i
            while !atEnd && !looking(at: Self.tripleApostrophe) { advance() }
            guard !atEnd else { throw fail("unterminated multi-line literal string") }
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            i += 3
            return s
        }
        i += 1
        let start = i
        while let c = peek, c != UInt8(ascii: "'") {
            guard c != 0x0A else { throw fail("unterminated string: a literal string ends on its line") }
            guard !Self.isControl(c) else { throw fail("\(Self.shown(c)) is not allowed in a string; write it as an escape") }
            i += 1
        }
        guard !atEnd else { throw fail("unterminated string") }
        let s = String(decoding: bytes[start..<i], as: UTF8.self)
        i += 1
        return s
    }

    mutating func parseBasicString() throws -> String {
        let multi = looking(at: Self.tripleQuote)
        i += multi ? 3 : 1
        if multi && peek == 0x0D && bytes[i...].dropFirst().first == 0x0A { i += 1 }
        if multi && peek == 0x0A { advance() }
        var out: [UInt8] = []
        while true {
            guard let c = peek else { throw fail(multi ? "unterminated multi-line string" : "unterminated string") }
            if multi && looking(at: Self.tripleQuote) { i += 3; break }
            if !multi && c == UInt8(ascii: "\"") { i += 1; break }
            if !multi && c == 0x0A { throw fail("unterminated string: a basic string ends on its line") }
            if Self.isControl(c) && !(multi && (c == 0x0A || c == 0x0D)) {
                throw fail("\(Self.shown(c)) is not allowed in a string; write it as an escape")
            }
            if c == UInt8(ascii: "\\") {
                let p = position
                i += 1
                guard let e = peek else { throw fail("unterminated string") }
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A); i += 1
                case UInt8(ascii: "t"): out.append(0x09); i += 1
                case UInt8(ascii: "r"): out.append(0x0D); i += 1
                case UInt8(ascii: "b"): out.append(0x08); i += 1
                case UInt8(ascii: "f"): out.append(0x0C); i += 1
                case UInt8(ascii: "\""): out.append(0x22); i += 1
                case UInt8(ascii: "\\"): out.append(0x5C); i += 1
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let n = e == UInt8(ascii: "u") ? 4 : 8
                    i += 1
                    guard i + n <= bytes.count, let hex = Self.digits(Substring(String(decoding: bytes[i..<i + n], as: UTF8.self)), radix: 16),
                          !hex.contains("_"), hex.count == n, let v = UInt32(hex, radix: 16),
                          let scalar = UnicodeScalar(v) else { throw fail("bad unicode escape", at: p) }
                    out += Array(String(Character(scalar)).utf8)
                    i += n
                case 0x0A, 0x20, 0x09, 0x0D:
                    // A line-ending backslash trims the newline and the blanks after it.
                    var j = i
                    while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0D { j += 1 }
                    guard multi, j < bytes.count, bytes[j] == 0x0A else {
                        throw fail("a backslash before blanks must end the line of a multi-line string", at: p)
                    }
                    while let w = peek, w == 0x20 || w == 0x09 || w == 0x0D || w == 0x0A { advance() }
                default:
                    throw fail("unknown escape '\\\(Character(UnicodeScalar(e)))'", at: p)
                }
                continue
            }
            out.append(c)
            advance()
        }
        return String(decoding: out, as: UTF8.self)
    }
}
