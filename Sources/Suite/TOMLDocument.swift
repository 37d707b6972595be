/// A TOML 1.0 reader for suite files that keeps where every key and value was written, so
/// that a mistake is reported at its line and column. It reads comments, bare, quoted and
/// dotted keys, [tables], [[arrays of tables]], basic and literal strings (one line and
/// multi-line), integers (decimal, hex, octal, binary, with _), floats (with exponents,
/// inf, nan), booleans, arrays and inline tables. Dates and times are refused: suites have none.
public enum TOMLDocument {
    /// How deep a value may sit below the root: each key of a table header or dotted key and
    /// each array or inline table's key on the way is one level (`a.b = [[1]]` puts 1 four
    /// levels deep). Suites need a handful; the limit keeps a hostile file from exhausting
    /// the stack, and a deeper file is refused at the line and column where it passes it.
    public static let nestingLimit = 128

    /// The root table, or the first mistake with its position.
    public static func parse(_ text: String) throws -> TOMLTable {
        var parser = TOMLParser(text)
        return try parser.parseDocument()
    }
}
