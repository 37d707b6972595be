import Foundation

/// Turns a byte stream (a serial console as read from QEMU's chardev: kernel messages, agent
/// frames, anything) into frames, damaged-frame reports and console lines.
///
/// Feed it bytes in any pieces, down to one at a time; it keeps the unfinished line. Lines
/// end at CR or LF (so "\n", "\r\n", "\n\r" and "\r" all work, as tty output post-processing
/// and QEMU's chardevs vary); empty and all-blank lines are dropped.
///
/// Within a line, a frame starts at `@@isoprobe:` wherever it is (text a kernel left without a
/// newline may precede it) and ends at `@@`. The frame ends early at the first byte outside the
/// frame alphabet: then the frame is reported damaged and the line goes on as console text from
/// that byte, so a kernel message spliced into a frame line still reaches the host's log, minus
/// any leading characters it shares with the frame alphabet. A frame is only ever delivered
/// when its syntax, base64, length and CRC-32 all agree.
public struct FrameDecoder: Sendable {
    public enum Output: Sendable, Equatable {
        case frame(Frame)
        case consoleLine(String)
        /// `session` and `seq` are what the damaged header claims, when it got that far.
        case damagedFrame(session: UInt32?, seq: UInt32?, damage: FrameDamage)
    }

    /// A line longer than this without a terminator is cut and decoded as it is, so console
    /// output without newlines cannot grow the buffer without bound. Frames are far shorter.
    public let maxLineLength: Int
    private var buffer: [UInt8] = []
    /// How much of `buffer` is known to hold no line terminator.
    private var scanned = 0

    public init(maxLineLength: Int = 1 << 16) {
        self.maxLineLength = max(maxLineLength, FrameFormat.maxLineLength)
    }

    public mutating func feed(_ data: Data) -> [Output] {
        data.withUnsafeBytes { feed($0) }
    }

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Output] where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        return drain()
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [Output] {
        buffer.append(contentsOf: bytes)
        return drain()
    }

    /// Decodes what is left after the stream ended (a last line without a terminator).
    public mutating func finish() -> [Output] {
        defer { buffer.removeAll(); scanned = 0 }
        return buffer.withUnsafeBufferPointer { Self.decode(line: $0) }
    }

    /// Bytes held for an unfinished line.
    public var bufferedByteCount: Int { buffer.count }

    private mutating func drain() -> [Output] {
        var out: [Output] = []
        var consumed = 0
        let maxLineLength = self.maxLineLength
        buffer.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            let n = p.count
            var i = scanned
            // memchr for each terminator, remembering the later one: a per-byte loop here is
            // the slowest part of a debug build.
            var nextLF = -1, nextCR = -1
            func next(_ byte: UInt8, from i: Int) -> Int {
                guard i < n, let hit = memchr(base + i, Int32(byte), n - i) else { return n }
                return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            while i < n {
                if nextLF < i { nextLF = next(FrameFormat.lf, from: i) }
                if nextCR < i { nextCR = next(FrameFormat.cr, from: i) }
                let end = min(nextLF, nextCR)
                if end - consumed > maxLineLength {
                    out += Self.decode(line: UnsafeBufferPointer(rebasing: p[consumed..<(consumed + maxLineLength)]))
                    consumed += maxLineLength
                    i = consumed
                    continue
                }
                if end == n { break }
                if end > consumed { out += Self.decode(line: UnsafeBufferPointer(rebasing: p[consumed..<end])) }
                consumed = end + 1
                i = consumed
            }
        }
        if consumed > 0 { buffer.removeFirst(consumed) }
        scanned = buffer.count
        return out
    }

    /// Decodes one line (without its terminator).
    public static func decode(line: UnsafeBufferPointer<UInt8>) -> [Output] {
        var out: [Output] = []
        let marker = FrameFormat.startBytes
        let n = line.count
        var pos = 0
        FrameFormat.frameAlphabet.withUnsafeBufferPointer { alphabet in
            while pos < n {
                guard let m = find(marker, in: line, from: pos) else {
                    console(line, pos..<n, into: &out)
                    return
                }
                console(line, pos..<m, into: &out)
                let bodyStart = m + marker.count
                var j = bodyStart
                while j < n && alphabet[Int(line[j])] { j += 1 }
                if j + 1 < n && line[j] == FrameFormat.at && line[j + 1] == FrameFormat.at
                    && !matches(marker, in: line, at: j) {
                    out.append(parse(body: UnsafeBufferPointer(rebasing: line[bodyStart..<j])))
                    pos = j + 2
                } else {
                    let claimed = Fields(UnsafeBufferPointer(rebasing: line[bodyStart..<j]))
                    out.append(.damagedFrame(session: claimed.session, seq: claimed.seq, damage: .truncated))
                    pos = j
                    // A lone '@' there is most likely the first half of this frame's end marker.
                    if pos < n && line[pos] == FrameFormat.at && !matches(marker, in: line, at: pos) { pos += 1 }
                }
            }
        }
        return out
    }

    public static func decode(line: [UInt8]) -> [Output] {
        line.withUnsafeBufferPointer { decode(line: $0) }
    }

    private static func console(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [Output]) {
        let slice = line[range]
        guard slice.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        out.append(.consoleLine(String(decoding: slice, as: UTF8.self)))
    }

    private static func matches(_ needle: [UInt8], in hay: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i + needle.count <= hay.count else { return false }
        for k in 0..<needle.count where hay[i + k] != needle[k] { return false }
        return true
    }

    private static func find(_ needle: [UInt8], in hay: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let base = hay.baseAddress, hay.count - from >= needle.count else { return nil }
        // memchr for the first byte: most console lines have no '@' at all.
        var i = from
        let last = hay.count - needle.count
        while i <= last {
            guard let hit = memchr(base + i, Int32(needle[0]), last + 1 - i) else { return nil }
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if matches(needle, in: hay, at: at) { return at }
            i = at + 1
        }
        return nil
    }

    /// A frame body (between the markers) to a frame, or why not.
    static func parse(body: UnsafeBufferPointer<UInt8>) -> Output {
        let f = Fields(body)
        func damaged(_ d: FrameDamage) -> Output { .damagedFrame(session: f.session, seq: f.seq, damage: d) }

        guard f.ranges.count >= 1, let version = f.decimal(0) else {
            return damaged(.malformedHeader("no version field"))
        }
        guard version == FrameFormat.version else { return damaged(.unsupportedVersion(f.text(0))) }
        guard f.ranges.count == 8 else {
            return damaged(.malformedHeader("\(f.ranges.count) fields, expected 8"))
        }
        guard let session = f.session else { return damaged(.malformedHeader("session is not 8 hex digits")) }
        guard let seq = f.seq else { return damaged(.malformedHeader("sequence number is not a 32-bit decimal")) }
        let type = f.text(3)
        guard FrameFormat.isValidType(type) else { return damaged(.malformedHeader("type '\(type)'")) }
        guard let (index, count) = f.chunk(4), count >= 1, count <= FrameFormat.maxChunkCount, index < count else {
            return damaged(.malformedHeader("chunk '\(f.text(4))' is not INDEX/COUNT within 0..<COUNT<=\(FrameFormat.maxChunkCount)"))
        }
        guard let length = f.decimal(5) else { return damaged(.malformedHeader("length '\(f.text(5))'")) }
        guard length <= FrameFormat.maxChunkSize else {
            return damaged(.malformedHeader("length \(length) is over the chunk limit of \(FrameFormat.maxChunkSize)"))
        }
        guard let declared = f.hex8(6) else { return damaged(.malformedHeader("CRC '\(f.text(6))' is not 8 hex digits")) }

        let encoded = f.bytes(7)
        // Checked before decoding, so a long run of base64 costs nothing but the scan.
        guard encoded.count <= (FrameFormat.maxChunkSize + 2) / 3 * 4 else {
            return damaged(.lengthMismatch(declared: length, actual: encoded.count / 4 * 3))
        }
        var payload = Data()
        if !encoded.isEmpty {
            guard encoded.count % 4 == 0, let decoded = Data(base64Encoded: Data(encoded)) else {
                return damaged(.badBase64)
            }
            payload = decoded
        }
        guard payload.count == length else { return damaged(.lengthMismatch(declared: length, actual: payload.count)) }

        var crc = CRC32()
        // The header up to and including the colon before the CRC field.
        crc.update(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(body)[0..<f.ranges[6].lowerBound]))
        crc.update(payload)
        guard crc.value == declared else { return damaged(.checksumMismatch(declared: declared, computed: crc.value)) }

        return .frame(Frame(session: session, seq: seq, type: type, chunkIndex: index, chunkCount: count,
                            payload: payload))
    }

    /// The colon-separated fields of a (possibly partial) frame body.
    struct Fields {
        let body: UnsafeBufferPointer<UInt8>
        let ranges: [Range<Int>]

        init(_ body: UnsafeBufferPointer<UInt8>) {
            self.body = body
            var ranges: [Range<Int>] = []
            var start = 0
            // Eight fields at most: the last one, the payload, is not searched for colons
            // (base64 has none; one there fails the base64 check).
            var i = 0
            while i < body.count && ranges.count < 7 {
                if body[i] == FrameFormat.colon {
                    ranges.append(start..<i)
                    start = i + 1
                }
                i += 1
            }
            ranges.append(start..<body.count)
            self.ranges = ranges
        }

        func bytes(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            i < ranges.count ? UnsafeBufferPointer(rebasing: body[ranges[i]]) : UnsafeBufferPointer(start: nil, count: 0)
        }

        func text(_ i: Int) -> String { String(decoding: bytes(i).prefix(40), as: UTF8.self) }

        /// Plain decimal: digits only, no sign, at most 10 digits.
        func decimal(_ i: Int) -> Int? { Self.decimal(bytes(i)) }

        static func decimal<C: Collection>(_ b: C) -> Int? where C.Element == UInt8 {
            guard !b.isEmpty, b.count <= 10 else { return nil }
            var v = 0
            for c in b {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }

        func hex8(_ i: Int) -> UInt32? {
            let b = bytes(i)
            guard b.count == 8 else { return nil }
            var v: UInt32 = 0
            for c in b {
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x61...0x66: d = c - 0x61 + 10
                case 0x41...0x46: d = c - 0x41 + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }

        func chunk(_ i: Int) -> (Int, Int)? {
            let b = bytes(i)
            guard let slash = b.firstIndex(of: FrameFormat.slash),
                  let index = Self.decimal(b[..<slash]), let count = Self.decimal(b[(slash + 1)...]) else { return nil }
            return (index, count)
        }

        var session: UInt32? { ranges.count > 1 && decimal(0) == FrameFormat.version ? hex8(1) : nil }

        var seq: UInt32? {
            guard ranges.count > 2, decimal(0) == FrameFormat.version, let v = decimal(2), v <= Int(UInt32.max) else { return nil }
            return UInt32(v)
        }
    }
}
