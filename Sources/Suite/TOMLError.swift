/// A syntax mistake or a duplicate definition, where it was written.
public struct TOMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public var description: String { "\(position): \(message)" }
}
