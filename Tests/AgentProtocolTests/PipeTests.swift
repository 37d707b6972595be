import Foundation
@testable import AgentProtocol
import Testing

/// A real child process on the other end of a pipe, as QEMU's chardev will be.
@Suite struct PipeTests {
    @Test func childProcessFeedsThePipe() throws {
        // A stream as a guest console would carry it: boot messages, frames with console noise
        // between them, a kernel line spliced into one frame, and a large result.
        let messages: [AgentMessage] = [Fixtures.hello, .ready, .log("starting"), .result(Fixtures.result(syscalls: 300, slow: 300)),
                                        .log("victim"), .log("after"), .bye]
        let lines = try Fixtures.lines(messages)
        var stream = Data("[    0.000000] Linux version 6.1.0\r\n[    0.100000] Command line: console=ttyS0\r\n".utf8)
        for (i, message) in lines.enumerated() {
            for (j, line) in message.enumerated() {
                if i == 4 {
                    stream += line.prefix(30) + Data("[    9.9] spliced kernel message\r\n".utf8) + line.dropFirst(30)
                } else {
                    stream += line
                }
                if j % 7 == 3 { stream += Data("[    5.\(j)] random: noise\r\n".utf8) }
            }
        }
        stream += Data("reboot: Power down\r\n".utf8)

        let path = NSTemporaryDirectory() + "agentprotocol-pipe-\(getpid())-\(UUID().uuidString.prefix(8)).txt"
        try stream.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "cat \"$1\"", "sh", path]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        try pipe.fileHandleForWriting.close()

        var reader = AgentChannel.Reader()
        var events: [AgentEvent] = []
        let ended = try reader.read(fileDescriptor: pipe.fileHandleForReading.fileDescriptor) { events.append($0); return true }
        child.waitUntilExit()
        #expect(ended && child.terminationStatus == 0)

        #expect(Fixtures.messages(in: events) == messages.enumerated().filter { $0.offset != 4 }.map(\.element))
        #expect(reader.statistics.corruptFrames == 1)
        #expect(reader.statistics.lostSequences == [4...4])
        let console = Fixtures.consoleLines(in: events)
        #expect(console.first == "[    0.000000] Linux version 6.1.0")
        #expect(console.contains("[    9.9] spliced kernel message"))
        #expect(console.last == "reboot: Power down")
        #expect(reader.statistics.bytes == stream.count)
    }
}
