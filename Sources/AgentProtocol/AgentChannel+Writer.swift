import Foundation

extension AgentChannel {
    /// Writes messages as frame lines to a file descriptor (the guest's serial port, a pipe).
    ///
    /// Each line goes out in one write(2): the writer never tears its own lines, and a line
    /// (at most `FrameFormat.maxLineLength`, under PIPE_BUF) is atomic on a pipe even with
    /// other writers. Only a write cut short by a signal or a full non-blocking descriptor is
    /// finished with a second write. Thread-safe: one message's lines are never interleaved
    /// with another's.
    public final class Writer: @unchecked Sendable {
        public let fileDescriptor: Int32
        private var encoder: FrameEncoder
        private let lock = NSLock()

        /// - Parameter session: random by default; readers track sequence numbers per session.
        public init(fileDescriptor: Int32, session: UInt32 = UInt32.random(in: .min ... .max),
                    chunkSize: Int = FrameFormat.defaultChunkSize) {
            self.fileDescriptor = fileDescriptor
            encoder = FrameEncoder(session: session, chunkSize: chunkSize)
        }

        /// The handle must stay open while the writer is used.
        public convenience init(fileHandle: FileHandle, session: UInt32 = UInt32.random(in: .min ... .max),
                                chunkSize: Int = FrameFormat.defaultChunkSize) {
            self.init(fileDescriptor: fileHandle.fileDescriptor, session: session, chunkSize: chunkSize)
        }

        public var session: UInt32 { encoder.session }

        /// Sends a message; returns its sequence number.
        @discardableResult
        public func send(_ message: AgentMessage) throws -> UInt32 {
            try send(type: message.kind.rawValue, payload: try message.payload())
        }

        /// Sends a payload under any valid type; returns its sequence number. The number is
        /// used up even when a write fails, so the reader reports the message lost.
        @discardableResult
        public func send(type: String, payload: Data) throws -> UInt32 {
            lock.lock()
            defer { lock.unlock() }
            let seq = encoder.nextSequence
            for line in try encoder.lines(type: type, payload: payload) { try write(line) }
            return seq
        }

        /// write(2), as send(2) with MSG_NOSIGNAL on a socket: a peer that went away (a
        /// guest's QEMU killed) is EPIPE here, never a SIGPIPE that ends the process.
        static func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
            let n = Glibc.send(fd, buffer, count, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == ENOTSOCK { return Foundation.write(fd, buffer, count) }
            return n
        }

        private func write(_ line: Data) throws { try Self.writeAll(line, to: fileDescriptor) }

        /// All of `data`, however many writes it takes: after a signal, and after waiting
        /// for room on a full non-blocking descriptor.
        static func writeAll(_ data: Data, to fileDescriptor: Int32) throws {
            try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < bytes.count {
                    let n = Self.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if n >= 0 {
                        offset += n
                    } else if errno == EINTR {
                        continue
                    } else if errno == EAGAIN || errno == EWOULDBLOCK {
                        var p = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&p, 1, -1)
                    } else {
                        throw AgentProtocolError.io(operation: "write", errno: errno)
                    }
                }
            }
        }
    }
}
