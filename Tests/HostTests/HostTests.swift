import Foundation
@testable import Host
import Testing

@Suite struct HostToolTests {
    @Test func aPathIsTakenAsItIsIfItIsAnExecutableFile() {
        #expect(HostTool.find("/bin/sh") == "/bin/sh")
        #expect(HostTool.find("/etc/passwd") == nil, "not executable")
        #expect(HostTool.find("/usr/bin") == nil, "a directory")
        #expect(HostTool.find("/no/such/tool") == nil)
    }

    @Test func aNameIsLookedUp() throws {
        let sh = try #require(HostTool.find("sh"))
        #expect(sh.hasSuffix("/sh") && FileManager.default.isExecutableFile(atPath: sh))
        #expect(HostTool.find("no-such-tool-\(getpid())") == nil)
        #expect(HostTool.find("") == nil)
    }

    /// Unpacked kernel modules come through `output`: bytes that are not UTF-8, and more of
    /// them than the default limit, must arrive unchanged.
    @Test func outputIsKeptByteForByte() throws {
        let path = NSTemporaryDirectory() + "isoprobe-hosttool-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = Data(count: 3 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
        try bytes.write(to: URL(fileURLWithPath: path))
        let cat = try #require(HostTool.find("cat"))
        #expect(HostTool.output([cat, path], stdoutLimit: 64 << 20) == bytes)
        #expect(HostTool.output([cat, path]) == nil, "longer than the default limit: nil, not its tail")
        #expect(HostTool.output([try #require(HostTool.find("false"))]) == nil)
        #expect(HostTool.output(["/no/such/tool"]) == nil)
    }
}

@Suite struct HelperCommandTests {
    @Test func stdinIsEmptyAndOutputIsCaptured() throws {
        let result = try HelperCommand.run(["/bin/sh", "-c", "cat; echo out; echo err >&2; exit 3"])
        #expect(result.status == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(!result.stdoutTruncated)
    }

    /// An inherited descriptor appears at its target number; with `closeOthers` one left
    /// without close-on-exec does not reach the helper; `newProcessGroup` makes it a leader.
    @Test func inheritedDescriptorsProcessGroupAndClosing() throws {
        let channel = try HelperCommand.pipe()
        let high = fcntl(channel.write, F_DUPFD_CLOEXEC, 10)
        close(channel.write)
        let stray = open("/dev/null", O_RDONLY)
        defer { close(stray) }
        let out = try HelperCommand.pipe()
        let script = "echo hello >&5; [ -e /proc/self/fd/\(stray) ] && echo stray; exit 0"
        let pid = try HelperCommand.spawn(["/bin/sh", "-c", script], stdoutFD: out.write, stderrFD: out.write,
                                          inherited: [(source: high, target: 5)], newProcessGroup: true, closeOthers: true)
        close(high)
        close(out.write)
        #expect(getpgid(pid) == pid, "a group of its own")
        let tail = OutputTail(fd: out.read, echo: false, limit: 1 << 16)
        let status = HelperCommand.wait(pid)
        let channelOutput = OutputTail(fd: channel.read, echo: false, limit: 1 << 16).finish()
        #expect(status == 0)
        #expect(channelOutput == "hello\n")
        #expect(tail.finish() == "", "the stray descriptor was closed")
    }
}

/// The answers the small HTTP client reads: the status, and a body sent in chunks put together.
@Suite struct HTTPAnswerTests {
    @Test func aChunkedAnswerIsPutTogether() throws {
        let raw = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nodd n\r\n13\r\number of components\r\n4\r\n\r\nin\r\n0\r\n\r\n"
        let r = try HTTPRequest.parse(Data(raw.utf8))
        #expect(r.status == 400)
        #expect(r.body == "odd number of components\r\nin")
        let plain = try HTTPRequest.parse(Data("HTTP/1.0 200 OK\r\n\r\nOK".utf8))
        #expect(plain.status == 200 && plain.body == "OK")
        #expect(throws: (any Error).self) { try HTTPRequest.parse(Data("SSH-2.0-OpenSSH\r\n".utf8)) }
        #expect(HTTPRequest.isContinue(Data("HTTP/1.1 100 Continue\r\n\r\n".utf8)))
    }

    @Test func onlyPlainHTTPAddressesAreTaken() {
        #expect(HTTPRequest.Address("http://127.0.0.1:9091")?.text == "http://127.0.0.1:9091/")
        #expect(HTTPRequest.Address("http://gw/metrics/job/a")?.text == "http://gw:80/metrics/job/a")
        #expect(HTTPRequest.Address("https://gw:9091") == nil)
        #expect(HTTPRequest.Address("http://user:pw@gw:9091") == nil)
        #expect(HTTPRequest.Address("gw:9091") == nil)
    }
}
