import Suite
import Testing

/// The corners of TOML's grammar: what is accepted is read correctly, the rest is refused where it is.
@Suite struct TOMLGrammarTests {
    func parse(_ text: String) throws -> TOMLTable { try TOMLDocument.parse(text) }

    func error(_ text: String) -> TOMLError? {
        do { _ = try parse(text); return nil } catch let e as TOMLError { return e } catch { return nil }
    }

    @Test func numbersFollowTOMLsGrammar() throws {
        let t = try parse("""
            a = +42
            b = 0o17
            c = 0b101
            d = 0xdead_beef
            e = 1e3
            f = -2.5E-2
            g = 6.626_07e-34
            h = 0.0
            i = nan
            """)
        #expect(t["a"]?.value == .integer(42))
        #expect(t["b"]?.value == .integer(15))
        #expect(t["c"]?.value == .integer(5))
        #expect(t["d"]?.value == .integer(0xdeadbeef))
        #expect(t["e"]?.value == .float(1000))
        #expect(t["f"]?.value == .float(-0.025))
        #expect(t["g"]?.value == .float(6.62607e-34))
        #expect(t["h"]?.value == .float(0))
        guard case .float(let nan)? = t["i"]?.value else { Issue.record("nan"); return }
        #expect(nan.isNaN)
        for bad in ["0x-1", "+0x1", "-0b1", "1__0", "1_", "_1", "0xg", "0o8", "0b2", "01.5", "1.5_", "1e", "1e_5",
                    "1.e5", "1.2.3", "1e2e3", "9223372036854775808"] {
            #expect(error("x = \(bad)")?.message == "'\(bad)' is not a TOML value (strings need quotes)", "\(bad)")
        }
    }

    @Test func stringsAndTheirEscapes() throws {
        let t = try parse(#"""
            a = "\U0001F600 \b\f\r\\"
            b = '''
            raw \n
            '''
            c = """\
                joined"""
            d = ""
            """#)
        #expect(t["a"]?.value == .string("\u{1F600} \u{8}\u{C}\r\\"))
        #expect(t["b"]?.value == .string("raw \\n\n"))
        #expect(t["c"]?.value == .string("joined"))
        #expect(t["d"]?.value == .string(""))
        #expect(try parse("s = \"\"\"\r\nx\"\"\"")["s"]?.value == .string("x"), "CRLF after the opening quotes is trimmed")
        #expect(error(#"x = "\u12""#)?.message == "bad unicode escape")
        #expect(error(#"x = "\u+123""#)?.message == "bad unicode escape")
        #expect(error("x = \"a\u{1}b\"")?.message == "byte 0x1 is not allowed in a string; write it as an escape")
        #expect(error("x = \"a\u{1}b\"")?.position == SourcePosition(line: 1, column: 7))
        #expect(error("x = 'open\ny = 1")?.position == SourcePosition(line: 1, column: 10))
        #expect(error("x = \"\"\"never closed")?.message == "unterminated multi-line string")
        #expect(error(#"x = "a\ b""#)?.position == SourcePosition(line: 1, column: 7), "only multi-line strings join lines")
        #expect(error(#"x = """a\ b""""#)?.message == "a backslash before blanks must end the line of a multi-line string")
    }

    @Test func columnsCountCharactersNotBytes() {
        // "é" is two bytes in UTF-8; an editor shows one column.
        #expect(error("\"é\" = 1 2")?.position == SourcePosition(line: 1, column: 9))
    }

    @Test func tablesCannotBeDefinedTwiceInAnyWay() {
        let cases: [(String, String, SourcePosition)] = [
            ("a.b = 1\n[a]", "table 'a' is defined twice", SourcePosition(line: 2, column: 1)),
            ("[t]\nx.y = 1\n[t.x]", "table 't.x' is defined twice", SourcePosition(line: 3, column: 1)),
            ("a = [{ x = 1 }]\n[[a]]", "'a' is an array value, not an array of tables", SourcePosition(line: 2, column: 3)),
            ("a = []\n[a.b]", "'a' is an array value, not an array of tables", SourcePosition(line: 2, column: 2)),
            ("[[a]]\n[a]", "'a' is an array of tables; write [[a]]", SourcePosition(line: 2, column: 1)),
            ("[a]\n[[a]]", "table 'a' is defined twice", SourcePosition(line: 2, column: 1)),
            ("a = 1\n[a]", "'a' is already a value, not a table", SourcePosition(line: 2, column: 2)),
            ("[a]\nb = 1\nb.c = 2", "'b' is already defined and cannot take dotted keys", SourcePosition(line: 3, column: 1)),
            ("i = { a = 1 }\ni.b = 2", "'i' is already defined and cannot take dotted keys", SourcePosition(line: 2, column: 1)),
            ("i = { a = 1 }\n[i.b]", "'i' is an inline table and cannot be extended", SourcePosition(line: 2, column: 2)),
            ("i = { a = 1, a = 2 }", "'a' is defined twice", SourcePosition(line: 1, column: 14)),
        ]
        for (text, message, position) in cases {
            let e = error(text)
            #expect(e?.message == message, "\(text)")
            #expect(e?.position == position, "\(text)")
        }
        // Sub-tables of a dotted or an implicit table may still be opened.
        #expect(error("[f]\napple.color = 1\n[f.apple.texture]\nsmooth = true") == nil)
        #expect(error("[a.b]\nx = 1\n[a]\ny = 2") == nil)
    }

    @Test func syntaxMistakesStayOnOneLine() {
        let cases: [(String, String, SourcePosition)] = [
            ("i = { a = 1,\n b = 2 }", "expected a key (letters, digits, '-' or '_'), found the end of the line",
             SourcePosition(line: 1, column: 13)),
            ("i = { a = 1 ", "expected ',' or '}' in the inline table (inline tables stay on one line)",
             SourcePosition(line: 1, column: 13)),
            ("[t", "expected ']' to close the table header", SourcePosition(line: 1, column: 3)),
            ("[[t]\n", "expected ']]' to close the array-of-tables header", SourcePosition(line: 1, column: 5)),
            ("x 1", "expected '=' after the key 'x'", SourcePosition(line: 1, column: 3)),
            ("x =", "expected a value", SourcePosition(line: 1, column: 4)),
            ("x = [1 2]", "expected ',' or ']' in the array", SourcePosition(line: 1, column: 8)),
            ("x = 1 # ok\n= 2", "expected a key (letters, digits, '-' or '_'), found '='", SourcePosition(line: 2, column: 1)),
        ]
        for (text, message, position) in cases {
            let e = error(text)
            #expect(e?.message == message, "\(text)")
            #expect(e?.position == position, "\(text)")
            #expect(e.map { !$0.description.contains("\n") } == true, "\(text)")
        }
    }
}
