import Suite
import Testing

@Suite struct TOMLTests {
    func parse(_ text: String) throws -> TOMLTable { try TOMLDocument.parse(text) }

    func error(_ text: String) -> TOMLError? {
        do { _ = try parse(text); return nil } catch let e as TOMLError { return e } catch { return nil }
    }

    @Test func valuesOfEveryKind() throws {
        let t = try parse("""
            # comment
            a = "basic \\"q\\" \\u00e9 \\t"   # trailing comment
            b = 'literal \\n'
            c = 1_000
            d = -17
            e = 0xff
            f = 3.5e2
            g = true
            h = [1, 2,
                 3,]   # multi-line, trailing comma
            i = { x = 1, y.z = "w" }
            "quoted key" = false
            j.k = 2
            m = \"\"\"
            two
            lines\"\"\"
            n = -inf
            """)
        #expect(t["a"]?.value == .string("basic \"q\" é \t"))
        #expect(t["b"]?.value == .string("literal \\n"))
        #expect(t["c"]?.value == .integer(1000))
        #expect(t["d"]?.value == .integer(-17))
        #expect(t["e"]?.value == .integer(255))
        #expect(t["f"]?.value == .float(350))
        #expect(t["g"]?.value == .boolean(true))
        guard case .array(let h)? = t["h"]?.value else { Issue.record("h is not an array"); return }
        #expect(h.map(\.value) == [.integer(1), .integer(2), .integer(3)])
        #expect(h[2].position == SourcePosition(line: 10, column: 6))
        guard case .table(let i)? = t["i"]?.value, case .table(let y)? = i["y"]?.value else { Issue.record("i.y"); return }
        #expect(i["x"]?.value == .integer(1))
        #expect(y["z"]?.value == .string("w"))
        #expect(t["quoted key"]?.value == .boolean(false))
        guard case .table(let j)? = t["j"]?.value else { Issue.record("j"); return }
        #expect(j["k"]?.value == .integer(2))
        #expect(t["m"]?.value == .string("two\nlines"))
        #expect(t["n"]?.value == .float(-.infinity))
        #expect(t.entry("c")?.keyPosition == SourcePosition(line: 4, column: 1))
        #expect(t["c"]?.position == SourcePosition(line: 4, column: 5))
    }

    @Test func tablesAndArraysOfTables() throws {
        let t = try parse("""
            top = 1
            [container]
            runtime = "runc"
            [[workload]]
            spec = "a"
            [[workload]]
            spec = "b"
            [workload.extra]
            x = 1
            """)
        guard case .table(let c)? = t["container"]?.value else { Issue.record("container"); return }
        #expect(c["runtime"]?.value == .string("runc"))
        guard case .array(let w)? = t["workload"]?.value, w.count == 2,
              case .table(let second) = w[1].value, case .table(let extra)? = second["extra"]?.value else {
            Issue.record("workload tables"); return
        }
        #expect(second["spec"]?.value == .string("b"))
        #expect(extra["x"]?.value == .integer(1))
        #expect(w[1].position == SourcePosition(line: 6, column: 1))
    }

    @Test func mistakesAreReportedWhereTheyAre() {
        #expect(error("a = 1\na = 2")?.position == SourcePosition(line: 2, column: 1))
        #expect(error("a = 1\na = 2")?.message == "'a' is defined twice")
        #expect(error("x = five")?.message == "'five' is not a TOML value (strings need quotes)")
        #expect(error("x = five")?.position == SourcePosition(line: 1, column: 5))
        #expect(error("x = \"open")?.position.line == 1)
        #expect(error("[t]\n[t]")?.message == "table 't' is defined twice")
        #expect(error("x = [1, 2")?.message.hasPrefix("unterminated array") == true)
        #expect(error("x = 1 y = 2")?.position == SourcePosition(line: 1, column: 7))
        #expect(error("x = 01")?.message.contains("not a TOML value") == true)
        #expect(error("x = 1.")?.message.contains("not a TOML value") == true)
        #expect(error("i = { a = 1 }\ni.b = 2") != nil, "inline tables are closed")
        #expect(error("x = \"\\q\"")?.message == "unknown escape '\\q'")
    }
}
