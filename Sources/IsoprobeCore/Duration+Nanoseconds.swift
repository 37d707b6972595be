/// A clock's interval in the units the result model keeps.
extension Duration {
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    public var milliseconds: Double { Double(nanoseconds) / 1e6 }
}
