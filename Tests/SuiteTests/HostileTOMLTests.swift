import Foundation
import IsoprobeCore
import Suite
import Testing

/// Files no one writes by hand: nesting 100,000 deep of every kind is refused at the line
/// and column where it passes the limit (not a crash for want of stack), and a file of
/// many tables takes time in proportion to its size.
@Suite struct HostileTOMLTests {
    static let limit = TOMLDocument.nestingLimit
    static let deep = 100_000

    func error(_ text: String) -> TOMLError? {
        do { _ = try TOMLDocument.parse(text); return nil } catch let e as TOMLError { return e } catch { return nil }
    }

    func expectTooDeep(_ text: String, at position: SourcePosition, sourceLocation: SourceLocation = #_sourceLocation) {
        let e = error(text)
        #expect(e?.position == position, "\(e.map { "\($0)" } ?? "no error")", sourceLocation: sourceLocation)
        #expect(e?.message.hasPrefix("nested more than \(Self.limit) levels deep") == true, "\(e.map { "\($0)" } ?? "no error")",
                sourceLocation: sourceLocation)
    }

    @Test func deepArrays() {
        // `a` is one level down, each `[` one more: the array opened at level limit + 1 is refused.
        expectTooDeep("a = " + String(repeating: "[", count: Self.deep), at: SourcePosition(line: 1, column: 5 + Self.limit))
        expectTooDeep("x = 1\n\na = [\n" + String(repeating: "[", count: Self.deep) + "\n",
                      at: SourcePosition(line: 4, column: Self.limit))
    }

    @Test func deepInlineTables() {
        // a = {b = {b = ...: each "{b = " is five characters and one level.
        let text = "a = " + String(repeating: "{b = ", count: Self.deep) + "1" + String(repeating: "}", count: Self.deep)
        expectTooDeep(text, at: SourcePosition(line: 1, column: 6 + 5 * (Self.limit - 1)))
    }

    @Test func deepDottedKeys() {
        expectTooDeep(String(repeating: "a.", count: Self.deep) + "a = 1", at: SourcePosition(line: 1, column: 1 + 2 * Self.limit))
        expectTooDeep(String(repeating: "\"q\".", count: Self.deep) + "a = 1",
                      at: SourcePosition(line: 1, column: 1 + 4 * Self.limit))
    }

    @Test func deepTableHeaders() {
        expectTooDeep("[" + String(repeating: "a.", count: Self.deep) + "a]",
                      at: SourcePosition(line: 1, column: 2 + 2 * Self.limit))
        expectTooDeep("[[" + String(repeating: "a.", count: Self.deep) + "a]]",
                      at: SourcePosition(line: 1, column: 3 + 2 * Self.limit))
    }

    /// The levels of the header, the dotted key and the value add up.
    @Test func levelsAddUp() {
        let header = String(repeating: "h.", count: 99) + "h"                 // 100 levels
        expectTooDeep("[\(header)]\n" + String(repeating: "k.", count: 40) + "k = 1\n",
                      at: SourcePosition(line: 2, column: 1 + 2 * 28))          // the 29th key is level 129
        expectTooDeep("[\(header)]\nk = " + String(repeating: "[", count: 40) + "\n",
                      at: SourcePosition(line: 2, column: 5 + 28))              // k's own array is 101: the 29th bracket is 129
        expectTooDeep("[\(header)]\nk = {" + String(repeating: "b.", count: 40) + "b = 1}\n",
                      at: SourcePosition(line: 2, column: 6 + 2 * 27))          // k is 101; the 28th key of the inline table is 129
    }

    /// Exactly at the limit is fine, and reads back whole.
    @Test func atTheLimit() throws {
        let arrays = try TOMLDocument.parse("a = " + String(repeating: "[", count: Self.limit) + String(repeating: "]", count: Self.limit))
        var node = try #require(arrays["a"])
        var depth = 1
        while case .array(let items) = node.value, let first = items.first { node = first; depth += 1 }
        #expect(depth == Self.limit)
        #expect(error(String(repeating: "a.", count: Self.limit - 1) + "a = 1") == nil)
        #expect(error("[" + String(repeating: "a.", count: Self.limit - 1) + "a]") == nil)
        #expect(error("a = " + String(repeating: "{b = ", count: Self.limit - 1) + "1" + String(repeating: "}", count: Self.limit - 1)) == nil)
    }

    /// Through the suite reader: the same one line, FILE:LINE:COL first.
    @Test func aSuiteNestedTooDeepIsOneUsageError() {
        do {
            _ = try SuiteFile.parse(text: "a = " + String(repeating: "[", count: Self.deep), path: "deep.toml")
            Issue.record("a suite nested \(Self.deep) deep was accepted")
        } catch let e as IsoprobeError {
            #expect(e.kind == .usage)
            #expect(e.description == "deep.toml:1:\(5 + Self.limit): nested more than \(Self.limit) levels deep "
                    + "(table headers, dotted keys, arrays and inline tables count together)")
        } catch {
            Issue.record("\(error)")
        }
    }

    /// Errors quote the file (a key, a value, a spec): its control characters are written as
    /// escapes, so the error stays one line and cannot move a terminal's cursor or colours.
    @Test(arguments: [
        ("a = \u{0C}=\n", "fuzz.toml:1:5: '\\u{c}=' is not a TOML value (strings need quotes)"),
        ("\"k\\u001b[2J\" = 1\n[[workload]]\nspec = \"getpid\"\n",
         "fuzz.toml:1:1: k\\u{1b}[2J: unknown key; expected one of: "),
        ("[[workload]]\nspec = \"get\\npid\"\n", "fuzz.toml:2:8: workload[1].spec: workload 'get\\npid': "),
    ])
    func errorsQuotingTheFileStayOneLine(_ text: String, _ expected: String) {
        do {
            _ = try SuiteFile.parse(text: text, path: "fuzz.toml")
            Issue.record("accepted: \(text)")
        } catch {
            let line = "\(error)"
            #expect(line.hasPrefix(expected), "\(line)")
            #expect(!line.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(line)")
        }
    }

    /// A suite of n [[workload]] tables is read in time proportional to n: ten times the
    /// tables may take ten times as long, loosely, not a hundred times. `isoprobe bench
    /// suite-parse` gives the figure; this only guards against a return to copying.
    @Test func manyTablesTakeLinearTime() throws {
        func seconds(_ count: Int) throws -> Double {
            var text = ""
            for n in 0..<count { text += "[[workload]]\nspec = \"getpid:count=\(n + 1)\"\n" }
            var best = Double.infinity
            for _ in 0..<2 {
                let start = ContinuousClock.now
                let suite = try SuiteFile.parse(text: text, path: "many.toml")
                let elapsed = ContinuousClock.now - start
                #expect(suite.workloads.count == count)
                best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            return best
        }
        let small = try seconds(10_000), large = try seconds(100_000)
        #expect(large / small < 30, "10,000 tables: \(small) s, 100,000: \(large) s")
    }

    /// A long line of values costs its length once, not once per value (each value's column
    /// counted from the start of the line).
    @Test func aLongLineIsReadOnce() throws {
        let count = 200_000
        let t = try TOMLDocument.parse("a = [" + String(repeating: "1,", count: count) + "]")
        guard case .array(let items)? = t["a"]?.value else { Issue.record("a is not an array"); return }
        #expect(items.count == count)
        #expect(items.last?.position == SourcePosition(line: 1, column: 6 + 2 * (count - 1)))
    }
}
