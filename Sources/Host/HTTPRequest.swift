import Foundation
import IsoprobeCore

/// One plain HTTP/1.1 request over a TCP socket, what a Prometheus Pushgateway needs (a PUT
/// of a text body, a GET of its readiness) and no more: no TLS, no redirects, no keep-alive.
/// Foundation's URLSession would load libcurl and some thirty libraries more at every start of
/// isoprobe for this one use. Every wait is bounded by `timeout`, and the answer read is
/// bounded in size.
public struct HTTPRequest: Sendable {
    /// `http://host[:port]/path`; the parts a request needs.
    public struct Address: Sendable, Equatable {
        public var host: String
        public var port: UInt16
        public var path: String

        /// nil for anything but http:// with a host.
        public init?(_ text: String) {
            guard let url = URLComponents(string: text), url.scheme?.lowercased() == "http",
                  let host = url.host, !host.isEmpty, url.user == nil, url.query == nil, url.fragment == nil else { return nil }
            guard let port = url.port.map({ UInt16(exactly: $0) }) ?? 80 else { return nil }
            self.host = host
            self.port = port
            self.path = url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath
        }

        public var text: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)" }
    }

    public struct Response: Sendable {
        public var status: Int
        /// The body, at most `HTTPRequest.maxResponse` bytes, chunked encoding undone.
        public var body: String
    }

    /// A Pushgateway's answers are a line or two; more is cut.
    public static let maxResponse = 64 * 1024

    public var method: String
    public var address: Address
    public var contentType: String?
    public var body: Data

    public init(_ method: String, _ address: Address, contentType: String? = nil, body: Data = Data()) {
        self.method = method
        self.address = address
        self.contentType = contentType
        self.body = body
    }

    /// Sends the request and reads the answer within `timeout` seconds.
    public func send(timeout: Double) throws -> Response {
        let deadline = Date().addingTimeInterval(timeout)
        let fd = try connect(before: deadline)
        defer { close(fd) }
        var head = "\(method) \(address.path) HTTP/1.1\r\nHost: \(address.host):\(address.port)\r\nUser-Agent: isoprobe\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n"
        guard !body.isEmpty else {
            try write(Data((head + "\r\n").utf8), to: fd, before: deadline)
            return try Self.parse(try read(fd, before: deadline))
        }
        // The body only once the server asks for it: one that refuses the request answers at
        // once and closes without reading a body, and a body sent regardless would turn that
        // close into a reset that loses the answer. A server that ignores the header gets
        // the body after a second.
        try write(Data((head + "Expect: 100-continue\r\n\r\n").utf8), to: fd, before: deadline)
        var answer = Data()
        if try wait(fd, for: Int16(POLLIN), before: min(deadline, Date().addingTimeInterval(1)), doing: "to the request", timeoutIsAnswer: true) {
            answer = try read(fd, before: deadline, untilHeadEnds: true)
            guard Self.isContinue(answer) else { return try Self.parse(answer + (try read(fd, before: deadline))) }
            answer = Self.afterHead(answer)
        }
        try write(body, to: fd, before: deadline)
        return try Self.parse(answer + (try read(fd, before: deadline)))
    }

    /// An interim `100 Continue` answer.
    static func isContinue(_ data: Data) -> Bool {
        String(decoding: data.prefix(12), as: UTF8.self).split(separator: " ").dropFirst().first == "100"
    }

    /// What follows the first blank line.
    static func afterHead(_ data: Data) -> Data {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return Data() }
        return Data(data[end.upperBound...])
    }

    private func failure(_ what: String, _ err: Int32) -> IsoprobeError {
        IsoprobeError(.failed, "\(address.text): \(what)", cause: ErrorWords.of(errno: err))
    }

    private func timedOut(_ what: String) -> IsoprobeError {
        IsoprobeError(.failed, "\(address.text): no answer \(what) in time")
    }

    /// The first address of the host that takes a connection.
    private func connect(before deadline: Date) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, "\(address.port)", &hints, &list)
        guard status == 0, let list else {
            throw IsoprobeError(.failed, "\(address.text): cannot resolve \(address.host)", cause: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                            info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                if try wait(fd, for: Int16(POLLOUT), before: deadline, doing: "to the connection") {
                    var err: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length)
                    if err == 0 { return fd }
                    lastError = err
                }
            } else {
                lastError = errno
            }
            close(fd)
        }
        throw failure("cannot connect", lastError)
    }

    /// Whether `fd` became ready before the deadline; false when it errored. Past the
    /// deadline: false when `timeoutIsAnswer`, else a failure.
    private func wait(_ fd: Int32, for events: Int16, before deadline: Date, doing what: String,
                      timeoutIsAnswer: Bool = false) throws -> Bool {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                if timeoutIsAnswer { return false }
                throw timedOut(what)
            }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(min(left * 1000, Double(Int32.max)).rounded(.up)))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw failure("poll", errno) }
            if n == 0 { continue }
            return p.revents & events != 0 || p.revents & Int16(POLLHUP) != 0
        }
    }

    private func write(_ data: Data, to fd: Int32, before deadline: Date) throws {
        var sent = 0
        while sent < data.count {
            _ = try wait(fd, for: Int16(POLLOUT), before: deadline, doing: "to the request")
            let n = data.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, data.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw failure("cannot send the request", errno)
            }
            sent += n
        }
    }

    /// The answer until the server closes, or only until its head ends (`untilHeadEnds`).
    private func read(_ fd: Int32, before deadline: Date, untilHeadEnds: Bool = false) throws -> Data {
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let blank = Data("\r\n\r\n".utf8)
        while answer.count < Self.maxResponse {
            if untilHeadEnds && answer.range(of: blank) != nil { break }
            _ = try wait(fd, for: Int16(POLLIN), before: deadline, doing: "to the request")
            let n = recv(fd, &buffer, min(buffer.count, Self.maxResponse - answer.count), 0)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                // A reset after a whole head: the answer is there, the rest was only the close.
                if errno == ECONNRESET && answer.range(of: blank) != nil { break }
                throw failure("cannot read the answer", errno)
            }
            if n == 0 { break }
            answer.append(contentsOf: buffer[0..<n])
        }
        return answer
    }

    /// The status line's code and the body (chunked encoding undone). Worked on bytes: in
    /// Swift's strings "\r\n" is one character.
    static func parse(_ data: Data) throws -> Response {
        let bytes = [UInt8](data)
        let crlf: [UInt8] = [13, 10]
        func find(_ needle: [UInt8], from: Int) -> Int? {
            guard bytes.count >= needle.count, from <= bytes.count - needle.count else { return nil }
            return (from...(bytes.count - needle.count)).first { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
        }
        let headEnd = find(crlf + crlf, from: 0) ?? bytes.count
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let status = head[0].split(separator: " ")
        guard status.count >= 2, status[0].hasPrefix("HTTP/1."), let code = Int(status[1]) else {
            throw IsoprobeError(.failed, "not an HTTP answer: \(ErrorWords.oneLine(String(head[0].prefix(80))))")
        }
        var body = Array(bytes[min(headEnd + 4, bytes.count)...])
        if head.contains(where: { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }) {
            var decoded: [UInt8] = []
            var at = headEnd + 4
            while let end = find(crlf, from: at),
                  let size = Int(String(decoding: bytes[at..<end], as: UTF8.self).split(separator: ";").first ?? "", radix: 16), size > 0 {
                let chunk = bytes[(end + 2)...].prefix(size)
                decoded += chunk
                at = end + 2 + chunk.count + 2
                guard at < bytes.count else { break }
            }
            body = decoded
        }
        return Response(status: code, body: String(decoding: body, as: UTF8.self))
    }
}
