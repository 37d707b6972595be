import CShim
import Foundation
import IsoprobeCore
import Reports
import Testing

@Suite struct Log2HistogramTests {
    static let slotCases: [(UInt64, Int)] = [
        (0, 0), (1, 0), (2, 1), (3, 1), (4, 2), (7, 2), (8, 3),
        (1023, 9), (1024, 10), (2047, 10), (2048, 11),
        ((1 << 39) - 1, 38), (1 << 39, 39), (1 << 40, 39), (1 << 63, 39), (UInt64.max, 39),
    ]

    @Test("slot of a value", arguments: slotCases)
    func slot(value: UInt64, expected: Int) {
        #expect(Log2Histogram.slot(for: value) == expected)
    }

    @Test func slotBounds() {
        #expect(Log2Histogram.bounds(ofSlot: 0) == (0, 1))
        #expect(Log2Histogram.bounds(ofSlot: 1) == (2, 3))
        #expect(Log2Histogram.bounds(ofSlot: 10) == (1024, 2047))
        #expect(Log2Histogram.bounds(ofSlot: 39) == (1 << 39, (1 << 40) - 1))
        // Every value lands in the slot whose bounds hold it (below the clamp).
        for i in 0..<(Log2Histogram.slotCount - 1) {
            let (lo, hi) = Log2Histogram.bounds(ofSlot: i)
            #expect(Log2Histogram.slot(for: lo) == i)
            #expect(Log2Histogram.slot(for: hi) == i)
            #expect(Log2Histogram.slot(for: hi + 1) == i + 1)
        }
    }

    /// Swift's slot count is the probes' own (probes/histogram.h), and the maps the probes
    /// fill have that many slots.
    @Test func slotCountIsTheProbesOwn() {
        #expect(Log2Histogram.slotCount == Int(ISOPROBE_HIST_SLOTS))
        let sched = isoprobe_sched_stat()
        #expect(MemoryLayout.size(ofValue: sched.runq_hist) / MemoryLayout<UInt64>.size == Log2Histogram.slotCount)
    }

    @Test func initPadsAndTruncatesToTheSlotCount() {
        let n = Int(ISOPROBE_HIST_SLOTS)
        #expect(Log2Histogram().slots.count == n)
        #expect(Log2Histogram(slots: [1, 2]).slots.count == n)
        #expect(Log2Histogram(slots: Array(repeating: 1, count: n + 10)).count == UInt64(n))
    }

    @Test func recordClampsHugeValuesIntoTheLastSlot() {
        var h = Log2Histogram()
        h.record(.max)
        h.record(1 << 50, times: 2)
        h.record(0)
        h.record(1)
        #expect(h.slots[Int(ISOPROBE_HIST_SLOTS) - 1] == 3)
        #expect(h.slots[0] == 2)
        #expect(h.count == 5)
        #expect(h.span == 0...39)
    }

    @Test func plusAddsSlotBySlot() {
        var a = Log2Histogram(unit: "ns")
        a.record(1)
        a.record(1024, times: 3)
        var b = Log2Histogram(unit: "ns")
        b.record(1024)
        b.record(1 << 20, times: 7)
        let sum = a + b
        #expect(sum.unit == "ns")
        #expect(sum.slots[0] == 1)
        #expect(sum.slots[10] == 4)
        #expect(sum.slots[20] == 7)
        #expect(sum.count == a.count + b.count)
        #expect(sum == b + a)
        #expect(a + Log2Histogram() == a)
    }

    @Test func quantiles() throws {
        #expect(Log2Histogram().quantile(0.5) == nil)

        var one = Log2Histogram()
        one.record(1500, times: 4)   // slot 10: 1024...2047
        #expect(one.quantile(0.5) == 1024 + 0.5 * 1023)
        #expect(one.quantile(0) == 1024)
        #expect(one.quantile(1) == 2047)

        var two = Log2Histogram()
        two.record(3, times: 90)      // slot 1: 2...3
        two.record(5000, times: 10)   // slot 12: 4096...8191
        #expect(try #require(two.quantile(0.5)) <= 3)
        #expect(try #require(two.quantile(0.9)) <= 3)
        let p99 = try #require(two.quantile(0.99))
        #expect(p99 >= 4096 && p99 <= 8191)
        #expect(two.quantile(0.95) == 4096 + 0.5 * 4095)
        // Monotonic in q.
        var last = -1.0
        for q in stride(from: 0.0, through: 1.0, by: 0.05) {
            let v = try #require(two.quantile(q))
            #expect(v >= last)
            last = v
        }
    }

    @Test func codableRoundTrip() throws {
        var h = Log2Histogram(unit: "ns")
        h.record(0, times: 2)
        h.record(100, times: 5)
        h.record(.max)
        let data = try ResultDocument.encoder().encode(h)
        let back = try ResultDocument.decoder().decode(Log2Histogram.self, from: data)
        #expect(back == h)

        // The JSON lists the span from the first to the last non-empty slot.
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["unit"] as? String == "ns")
        #expect((object["count"] as? NSNumber)?.uint64Value == 8)
        let buckets = try #require(object["buckets"] as? [[String: Any]])
        #expect(buckets.count == 40)
        #expect((buckets.first?["lo"] as? NSNumber)?.uint64Value == 0)
        #expect((buckets.first?["hi"] as? NSNumber)?.uint64Value == 1)
        #expect((buckets[6]["count"] as? NSNumber)?.uint64Value == 5)
        #expect((buckets.last?["count"] as? NSNumber)?.uint64Value == 1)
    }

    @Test func emptyHistogramRoundTrips() throws {
        let h = Log2Histogram(unit: "ns")
        let data = try ResultDocument.encoder().encode(h)
        let back = try ResultDocument.decoder().decode(Log2Histogram.self, from: data)
        #expect(back == h)
        #expect(back.span == nil)
    }
}

@Suite struct HistogramPrinterTests {
    /// Rows of `lo -> hi : count |bar|`.
    static func rows(_ text: String) -> [(lo: UInt64, hi: UInt64, count: UInt64, bar: String)] {
        text.split(separator: "\n").compactMap { line in
            guard let open = line.firstIndex(of: "|"), line.last == "|" else { return nil }
            let head = line[..<open].split(separator: " ", omittingEmptySubsequences: true)
            guard head.count == 5, head[1] == "->", head[3] == ":",
                  let lo = UInt64(head[0]), let hi = UInt64(head[2]), let count = UInt64(head[4]) else { return nil }
            let bar = String(line[line.index(after: open)..<line.index(before: line.endIndex)])
            return (lo, hi, count, bar)
        }
    }

    @Test func bccLayout() throws {
        var h = Log2Histogram(unit: "ns")
        h.record(1, times: 3)
        h.record(1000, times: 120)
        h.record(3000, times: 60)
        h.record(1 << 30, times: 1)
        let text = HistogramPrinter.render(h, label: "nsecs")
        let lines = text.split(separator: "\n")
        #expect(lines.first?.contains("nsecs") == true)
        #expect(lines.first?.contains("count") == true)
        #expect(lines.first?.contains("distribution") == true)

        let rows = Self.rows(text)
        // Every slot from the first to the last non-empty one, in order.
        #expect(rows.count == 31, "\(text)")
        #expect(rows.count == lines.count - 1, "every line after the header is a row:\n\(text)")
        for (i, row) in rows.enumerated() {
            #expect(row.lo == Log2Histogram.bounds(ofSlot: i).lo)
            #expect(row.hi == Log2Histogram.bounds(ofSlot: i).hi)
            #expect(row.count == h.slots[i])
            #expect(row.bar.count == 40, "bar of row \(i) is \(row.bar.count) wide:\n\(text)")
            let stars = row.bar.prefix { $0 == "*" }.count
            #expect(row.bar.dropFirst(stars).allSatisfy { $0 == " " })
            #expect(stars == Int(row.count * 40 / 120))
        }
        let largest = try #require(rows.max { $0.count < $1.count })
        #expect(largest.bar == String(repeating: "*", count: 40))
        #expect(rows.first { $0.lo == 2048 }?.bar.prefix { $0 == "*" }.count == 20)
        // Columns line up: the bars start at the same column on every row.
        let columns = Set(lines.dropFirst().map { line in line.firstIndex(of: "|").map { line.distance(from: line.startIndex, to: $0) } })
        #expect(columns.count == 1)
    }

    @Test func wideNumbersKeepColumnsAligned() {
        var h = Log2Histogram()
        h.record(1 << 38, times: 123_456_789_012)
        h.record(1 << 36)
        let text = HistogramPrinter.render(h)
        let rows = Self.rows(text)
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.bar.count == 40 })
        #expect(rows.last?.bar == String(repeating: "*", count: 40))
        let lengths = Set(text.split(separator: "\n").dropFirst().map(\.count))
        #expect(lengths.count == 1, "rows differ in width:\n\(text)")
    }

    @Test func emptyHistogram() {
        #expect(HistogramPrinter.render(Log2Histogram()) == "     (no samples)\n")
    }
}
