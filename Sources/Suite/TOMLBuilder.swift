/// A table while the parser fills it. A class, so the parser keeps the table it is filling
/// and appends to it in place: appending through a path of value-typed tables and arrays
/// would copy each of them whole, and a file of n `[[workload]]` tables would take n² steps.
/// Keys are found through a dictionary for the same reason. `build()` makes the
/// `TOMLTable` once, at the end.
final class TOMLTableBuilder {
    enum Content {
        /// Written whole and never extended: a scalar, an array value, an inline table.
        case done(TOMLValue)
        /// Made by a [header] or a dotted key; later lines may add to it.
        case table(TOMLTableBuilder)
        /// Made by [[header]]s, one table each.
        case tables(TOMLTableList)
    }

    struct Entry {
        var key: String
        var keyPosition: SourcePosition
        var content: Content
        /// Where the value (or the header that made the table) was written.
        var position: SourcePosition
    }

    private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    var closed: Bool
    let inline: Bool
    let dotted: Bool

    init(closed: Bool = false, inline: Bool = false, dotted: Bool = false) {
        self.closed = closed
        self.inline = inline
        self.dotted = dotted
    }

    func content(_ key: String) -> Content? { index[key].map { entries[$0].content } }

    func add(_ key: String, at keyPosition: SourcePosition, _ content: Content, position: SourcePosition) {
        index[key] = entries.count
        entries.append(Entry(key: key, keyPosition: keyPosition, content: content, position: position))
    }

    /// The finished table; its depth is bounded by the parser's nesting limit.
    func build() -> TOMLTable {
        TOMLTable(entries: entries.map { entry in
            let value: TOMLValue
            switch entry.content {
            case .done(let v): value = v
            case .table(let t): value = .table(t.build())
            case .tables(let list): value = .array(list.items.map { TOMLNode(value: .table($0.table.build()), position: $0.position) })
            }
            return TOMLTable.Entry(key: entry.key, keyPosition: entry.keyPosition, node: TOMLNode(value: value, position: entry.position))
        }, closed: closed, inline: inline, dotted: dotted)
    }
}

/// The tables of one array of tables, appended to in place.
final class TOMLTableList {
    var items: [(table: TOMLTableBuilder, position: SourcePosition)]

    init(_ first: TOMLTableBuilder, at position: SourcePosition) {
        items = [(first, position)]
    }
}
