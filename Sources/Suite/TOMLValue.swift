/// A parsed value; TOMLNode adds where it was written.
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case array([TOMLNode])
    case table(TOMLTable)

    /// How an error message names the type.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .array: return "array"
        case .table: return "table"
        }
    }

    /// How an error message shows the value.
    public var shown: String {
        switch self {
        case .string(let s): return "string \"\(s)\""
        case .integer(let i): return "integer \(i)"
        case .float(let d): return "float \(d)"
        case .boolean(let b): return "boolean \(b)"
        case .array(let a): return "an array of \(a.count)"
        case .table: return "a table"
        }
    }
}

public struct TOMLNode: Equatable, Sendable {
    public var value: TOMLValue
    public var position: SourcePosition
}

/// Keys in the order written, each with the position of the key itself.
public struct TOMLTable: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var keyPosition: SourcePosition
        public var node: TOMLNode
    }
    public var entries: [Entry] = []
    /// Defined by a [header] or inline: a later [header] of the same name is a duplicate.
    var closed = false
    var inline = false
    /// Made by a dotted key (a.b = 1): a later [a] header would define it twice.
    var dotted = false

    public subscript(key: String) -> TOMLNode? { entries.first { $0.key == key }?.node }
    public func entry(_ key: String) -> Entry? { entries.first { $0.key == key } }
    var keys: [String] { entries.map(\.key) }
}
