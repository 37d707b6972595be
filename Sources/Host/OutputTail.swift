import Foundation
import SystemPackage

/// Reads a pipe on its own thread, echoing it if asked and keeping the last `limit` bytes.
public final class OutputTail: @unchecked Sendable {
    private let fd: Int32
    private var data = [UInt8]()
    private var dropped = false
    private let done = DispatchSemaphore(value: 0)
    private var finished = false

    public init(fd: Int32, echo: Bool, limit: Int) {
        self.fd = fd
        Thread.detachNewThread { [self] in
            let input = FileDescriptor(rawValue: fd)
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                // End of file, or an error: nothing more comes either way.
                let n = (try? buf.withUnsafeMutableBytes { try input.read(into: $0) }) ?? 0
                if n == 0 { break }
                if echo { _ = try? FileDescriptor.standardOutput.writeAll(buf[..<n]) }
                data.append(contentsOf: buf[0..<n])
                if data.count > limit {
                    data.removeFirst(data.count - limit)
                    dropped = true
                }
            }
            done.signal()
        }
    }

    /// Waits for end of file and returns what was kept, as text.
    @discardableResult
    public func finish() -> String {
        String(decoding: finishBytes(), as: UTF8.self)
    }

    /// Waits for end of file and returns what was kept, byte for byte.
    public func finishBytes() -> Data {
        if !finished {
            done.wait()
            close(fd)
            finished = true
        }
        return Data(data)
    }

    /// Whether bytes before the kept tail were dropped (valid after `finish`).
    public var truncated: Bool { dropped }
}
