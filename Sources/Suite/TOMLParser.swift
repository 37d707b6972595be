/// The parser behind `TOMLDocument.parse`: one pass over the bytes, tables built in place.
struct TOMLParser {
    let bytes: [UInt8]
    var i = 0
    var line = 1
    var lineStart = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    /// Columns count characters, not bytes, so they match what an editor shows.
    var position: SourcePosition {
        let column = bytes[lineStart..<min(i, bytes.count)].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        return SourcePosition(line: line, column: column + max(0, i - bytes.count))
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

    func fail(_ message: String, at p: SourcePosition? = nil) -> TOMLError {
        TOMLError(position: p ?? position, message: message)
    }

    var atEnd: Bool { i >= bytes.count }
    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

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
        var root = TOMLTable()
        var current: [String] = []   // path of the table being filled
        var arrayHeader = false
        while !atEnd {
            skipBlank()
            guard let c = peek else { break }
            let start = position
            if c == UInt8(ascii: "[") {
                i += 1
                arrayHeader = peek == UInt8(ascii: "[")
                if arrayHeader { i += 1 }
                skipSpaces()
                let keys = try parseKey()
                skipSpaces()
                guard peek == UInt8(ascii: "]") else { throw fail("expected ']' to close the table header") }
                i += 1
                if arrayHeader {
                    guard peek == UInt8(ascii: "]") else { throw fail("expected ']]' to close the array-of-tables header") }
                    i += 1
                }
                try expectLineEnd()
                current = keys.map(\.0)
                try Self.open(&root, path: keys, array: arrayHeader, at: start)
            } else {
                let keys = try parseKey()
                skipSpaces()
                guard peek == UInt8(ascii: "=") else { throw fail("expected '=' after the key '\(keys.map(\.0).joined(separator: "."))'") }
                i += 1
                skipSpaces()
                let value = try parseValue()
                try expectLineEnd()
                try Self.withTable(&root, path: current) { table in
                    try Self.insert(&table, keys: keys[...], node: value)
                }
            }
        }
        return root
    }

    /// A [header] or [[header]]: creates (or for [[x]] appends) the table it names.
    static func open(_ root: inout TOMLTable, path: [(String, SourcePosition)], array: Bool, at start: SourcePosition) throws {
        func descend(_ table: inout TOMLTable, _ rest: ArraySlice<(String, SourcePosition)>) throws {
            let (key, pos) = rest.first!
            let last = rest.count == 1
            if let idx = table.entries.firstIndex(where: { $0.key == key }) {
                switch table.entries[idx].node.value {
                case .table(var t):
                    if last {
                        if array || t.closed || t.inline || t.dotted {
                            throw TOMLError(position: start, message: "table '\(path.map(\.0).joined(separator: "."))' is defined twice")
                        }
                        t.closed = true
                    } else {
                        if t.inline { throw TOMLError(position: pos, message: "'\(key)' is an inline table and cannot be extended") }
                        try descend(&t, rest.dropFirst())
                    }
                    table.entries[idx].node.value = .table(t)
                case .array(var items):
                    // A static array (`x = [...]`) cannot be extended by [[x]] or [x.y].
                    guard case .table(var t)? = items.last?.value, !t.inline else {
                        throw TOMLError(position: pos, message: "'\(key)' is an array value, not an array of tables")
                    }
                    if last {
                        guard array else { throw TOMLError(position: start, message: "'\(key)' is an array of tables; write [[\(key)]]") }
                        items.append(TOMLNode(value: .table(TOMLTable(closed: true)), position: start))
                    } else {
                        try descend(&t, rest.dropFirst())
                        items[items.count - 1].value = .table(t)
                    }
                    table.entries[idx].node.value = .array(items)
                default:
                    throw TOMLError(position: pos, message: "'\(key)' is already a value, not a table")
                }
            } else {
                if last && array {
                    table.entries.append(.init(key: key, keyPosition: pos, node: TOMLNode(
                        value: .array([TOMLNode(value: .table(TOMLTable(closed: true)), position: start)]), position: start)))
                } else {
                    var t = TOMLTable(closed: last)
                    if !last { try descend(&t, rest.dropFirst()) }
                    table.entries.append(.init(key: key, keyPosition: pos, node: TOMLNode(value: .table(t), position: start)))
                }
            }
        }
        try descend(&root, path[...])
    }

    /// Runs `body` on the table at `path` (the last element of an array of tables).
    static func withTable(_ root: inout TOMLTable, path: [String], _ body: (inout TOMLTable) throws -> Void) throws {
        guard let key = path.first else { return try body(&root) }
        let idx = root.entries.firstIndex { $0.key == key }!
        switch root.entries[idx].node.value {
        case .table(var t):
            try withTable(&t, path: Array(path.dropFirst()), body)
            root.entries[idx].node.value = .table(t)
        case .array(var items):
            guard case .table(var t)? = items.last?.value else { return }
            try withTable(&t, path: Array(path.dropFirst()), body)
            items[items.count - 1].value = .table(t)
            root.entries[idx].node.value = .array(items)
        default:
            return
        }
    }

    /// key = value, where the key may be dotted (a.b = 1 makes table a).
    static func insert(_ table: inout TOMLTable, keys: ArraySlice<(String, SourcePosition)>, node: TOMLNode) throws {
        let (key, pos) = keys.first!
        if keys.count == 1 {
            if table.entries.contains(where: { $0.key == key }) {
                throw TOMLError(position: pos, message: "'\(key)' is defined twice")
            }
            table.entries.append(.init(key: key, keyPosition: pos, node: node))
            return
        }
        if let idx = table.entries.firstIndex(where: { $0.key == key }) {
            guard case .table(var t) = table.entries[idx].node.value, !t.inline, !t.closed else {
                throw TOMLError(position: pos, message: "'\(key)' is already defined and cannot take dotted keys")
            }
            try insert(&t, keys: keys.dropFirst(), node: node)
            table.entries[idx].node.value = .table(t)
        } else {
            var t = TOMLTable(dotted: true)
            try insert(&t, keys: keys.dropFirst(), node: node)
            table.entries.append(.init(key: key, keyPosition: pos, node: TOMLNode(value: .table(t), position: pos)))
        }
    }

    // MARK: Keys

    mutating func parseKey() throws -> [(String, SourcePosition)] {
        var parts: [(String, SourcePosition)] = []
        while true {
            skipSpaces()
            let p = position
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

    mutating func parseValue() throws -> TOMLNode {
        let p = position
        guard let c = peek else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "\""):
            return TOMLNode(value: .string(try parseBasicString()), position: p)
        case UInt8(ascii: "'"):
            return TOMLNode(value: .string(try parseLiteralString()), position: p)
        case UInt8(ascii: "["):
            return TOMLNode(value: .array(try parseArray()), position: p)
        case UInt8(ascii: "{"):
            return TOMLNode(value: .table(try parseInlineTable()), position: p)
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

    mutating func parseArray() throws -> [TOMLNode] {
        i += 1
        var items: [TOMLNode] = []
        while true {
            skipBlank()
            guard let c = peek else { throw fail("unterminated array: expected ']'") }
            if c == UInt8(ascii: "]") { i += 1; return items }
            items.append(try parseValue())
            skipBlank()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            guard !atEnd else { throw fail("unterminated array: expected ']'") }
            guard peek == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in the array") }
        }
    }

    mutating func parseInlineTable() throws -> TOMLTable {
        i += 1
        var table = TOMLTable(closed: true, inline: true)
        skipSpaces()
        if peek == UInt8(ascii: "}") { i += 1; return table }
        while true {
            let keys = try parseKey()
            skipSpaces()
            guard peek == UInt8(ascii: "=") else { throw fail("expected '=' in the inline table") }
            i += 1
            skipSpaces()
            let value = try parseValue()
            table.inline = false
            try Self.insert(&table, keys: keys[...], node: value)
            table.inline = true
            skipSpaces()
            if peek == UInt8(ascii: ",") { i += 1; skipSpaces(); continue }
            guard peek == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in the inline table (inline tables stay on one line)") }
            i += 1
            return table
        }
    }

    mutating func parseLiteralString() throws -> String {
        if bytes[i...].starts(with: Array("'''".utf8)) {
            i += 3
            if peek == 0x0D && bytes[i...].dropFirst().first == 0x0A { i += 1 }
            if peek == 0x0A { advance() }
            let start = i
            while !atEnd && !bytes[i...].starts(with: Array("'''".utf8)) { advance() }
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
        let multi = bytes[i...].starts(with: Array("\"\"\"".utf8))
        i += multi ? 3 : 1
        if multi && peek == 0x0D && bytes[i...].dropFirst().first == 0x0A { i += 1 }
        if multi && peek == 0x0A { advance() }
        var out: [UInt8] = []
        while true {
            guard let c = peek else { throw fail(multi ? "unterminated multi-line string" : "unterminated string") }
            if multi && bytes[i...].starts(with: Array("\"\"\"".utf8)) { i += 3; break }
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
