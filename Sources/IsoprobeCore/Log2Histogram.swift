/// A log2 histogram as the probes build it in the kernel: slot i counts values v with
/// floor(log2(v)) == i, so slot i spans [2^i, 2^(i+1) - 1] (slot 0 also holds 0).
public struct Log2Histogram: Equatable, Sendable {
    public static let slotCount = 40

    public var unit: String
    public private(set) var slots: [UInt64]

    public init(unit: String = "ns", slots: [UInt64] = []) {
        self.unit = unit
        var s = Array(slots.prefix(Self.slotCount))
        s += Array(repeating: 0, count: Self.slotCount - s.count)
        self.slots = s
    }

    public static func bounds(ofSlot i: Int) -> (lo: UInt64, hi: UInt64) {
        let hi: UInt64 = i >= 63 ? .max : (UInt64(1) << UInt64(i + 1)) - 1
        let lo: UInt64 = i == 0 ? 0 : UInt64(1) << UInt64(i)
        return (lo, hi)
    }

    public static func slot(for value: UInt64) -> Int {
        value <= 1 ? 0 : min(63 - value.leadingZeroBitCount, slotCount - 1)
    }

    public mutating func record(_ value: UInt64, times: UInt64 = 1) {
        slots[Self.slot(for: value)] += times
    }

    public var count: UInt64 { slots.reduce(0, +) }
    public var isEmpty: Bool { count == 0 }

    public static func + (a: Log2Histogram, b: Log2Histogram) -> Log2Histogram {
        Log2Histogram(unit: a.unit, slots: zip(a.slots, b.slots).map { $0 + $1 })
    }

    /// The non-empty span: from the first to the last non-zero slot.
    public var span: ClosedRange<Int>? {
        guard let first = slots.firstIndex(where: { $0 > 0 }),
              let last = slots.lastIndex(where: { $0 > 0 }) else { return nil }
        return first...last
    }

    /// Estimate of the value at quantile q (0...1), interpolating inside a slot.
    public func quantile(_ q: Double) -> Double? {
        let total = count
        guard total > 0 else { return nil }
        let rank = q * Double(total)
        var seen: Double = 0
        for (i, c) in slots.enumerated() where c > 0 {
            let next = seen + Double(c)
            if next >= rank {
                let (lo, hi) = Self.bounds(ofSlot: i)
                let frac = (rank - seen) / Double(c)
                return Double(lo) + frac * Double(hi - lo)
            }
            seen = next
        }
        return Double(Self.bounds(ofSlot: slots.count - 1).hi)
    }
}

extension Log2Histogram: Codable {
    public struct Bucket: Codable, Equatable, Sendable {
        public var lo: UInt64
        public var hi: UInt64
        public var count: UInt64
    }

    enum CodingKeys: String, CodingKey { case unit, count, buckets }

    public var buckets: [Bucket] {
        guard let span else { return [] }
        return span.map { i in
            let (lo, hi) = Self.bounds(ofSlot: i)
            return Bucket(lo: lo, hi: hi, count: slots[i])
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unit, forKey: .unit)
        try c.encode(count, forKey: .count)
        try c.encode(buckets, forKey: .buckets)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(unit: try c.decode(String.self, forKey: .unit))
        for b in try c.decode([Bucket].self, forKey: .buckets) {
            slots[Self.slot(for: b.hi)] += b.count
        }
    }
}
