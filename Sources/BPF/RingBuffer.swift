import CBPF
import Foundation

/// Consumer of a BPF ring buffer map. Records are handed over as raw bytes; the owner
/// calls `poll` or `drain` and must `close()` before the object closes.
public final class RingBuffer {
    private var ring: OpaquePointer?
    private let box: Box

    private final class Box {
        let handler: (UnsafeRawBufferPointer) -> Void
        init(_ handler: @escaping (UnsafeRawBufferPointer) -> Void) { self.handler = handler }
    }

    public init(map: BPFMap, handler: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        box = Box(handler)
        let ctx = Unmanaged.passUnretained(box).toOpaque()
        errno = 0
        guard let r = ring_buffer__new(map.fd, { ctx, data, size in
            guard let ctx, let data else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(ctx).takeUnretainedValue()
            box.handler(UnsafeRawBufferPointer(start: data, count: Int(size)))
            return 0
        }, ctx, nil) else {
            throw BPFError(call: "ring_buffer__new", subject: map.name, errno: errno)
        }
        ring = r
    }

    deinit { close() }

    /// Waits up to timeoutMs for records and hands them to the handler; returns how many.
    @discardableResult
    public func poll(timeoutMs: Int32) throws -> Int {
        guard let ring else { return 0 }
        let n = ring_buffer__poll(ring, timeoutMs)
        if n < 0 && n != -EINTR {
            throw BPFError(call: "ring_buffer__poll", subject: "events", errno: -n)
        }
        return Int(max(n, 0))
    }

    /// Hands over every record already written, without waiting.
    @discardableResult
    public func drain() throws -> Int {
        guard let ring else { return 0 }
        let n = ring_buffer__consume(ring)
        if n < 0 { throw BPFError(call: "ring_buffer__consume", subject: "events", errno: -n) }
        return Int(n)
    }

    public func close() {
        if let ring {
            ring_buffer__free(ring)
            self.ring = nil
        }
    }
}
