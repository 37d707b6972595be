/// A TOML 1.0 reader for suite files that keeps where every key and value was written, so
/// that a mistake is reported at its line and column. It reads comments, bare, quoted and
/// dotted keys, [tables], [[arrays of tables]], basic and literal strings (one line and
/// multi-line), integers (decimal, hex, octal, binary, with _), floats (with exponents,
/// inf, nan), booleans, arrays and inline tables. Dates and times are refused: suites have none.
public enum TOMLDocument {
    /// The root table, or the first mistake with its position.
    public static func parse(_ text: String) throws -> TOMLTable {
        var parser = TOMLParser(text)
        return try parser.parseDocument()
    }
}
