import Foundation

/// memmem, which Swift's Glibc module does not declare (_GNU_SOURCE-only): memchr for the
/// first byte, memcmp for the rest.
enum ByteSearch {
    static func firstOffset(of needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard let first = needle.first else { return 0 }
        guard let base = haystack.baseAddress, haystack.count >= needle.count else { return nil }
        let last = haystack.count - needle.count
        var offset = 0
        while offset <= last {
            guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            let equal = needle.withUnsafeBytes { memcmp(base + at, $0.baseAddress!, needle.count) == 0 }
            if equal { return at }
            offset = at + 1
        }
        return nil
    }
}
