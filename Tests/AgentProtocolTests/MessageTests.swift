import Foundation
import IsoprobeCore
@testable import AgentProtocol
import Testing

@Suite struct MessageTests {
    @Test func everyMessageTypeRoundTrips() throws {
        for message in Fixtures.everyMessage {
            let decoded = try AgentMessage(type: message.kind.rawValue, payload: try message.payload())
            #expect(decoded == message, "\(message.kind)")
        }
        let (events, stats) = Fixtures.read(Data(try Fixtures.lines(Fixtures.everyMessage).joined().joined()))
        #expect(events == Fixtures.everyMessage.map { .message($0) })
        #expect(stats.messages == Fixtures.everyMessage.count)
        #expect(Set(Fixtures.everyMessage.map(\.kind)) == Set(AgentMessage.Kind.allCases))
    }

    @Test func fieldsSurviveTheTrip() throws {
        let payload = try Fixtures.hello.payload()
        guard case .hello(let hello) = try AgentMessage(type: "hello", payload: payload) else {
            Issue.record("not a hello")
            return
        }
        #expect(hello.kernelRelease == "6.1.0-28-amd64")
        #expect(hello.guest.cpus == 2 && hello.guest.memoryBytes == 512 << 20)
        #expect(hello.agentVersion == IsoprobeVersion.current && hello.protocolVersion == AgentMessage.protocolVersion)
        #expect(hello.probes.map(\.family) == ["syscalls", "sched", "memory"])

        guard case .runRequest(let request) = try AgentMessage(type: "run", payload: try AgentMessage.runRequest(Fixtures.request).payload())
        else { Issue.record("not a run request"); return }
        #expect(request == Fixtures.request)
        #expect(try request.workloadSpec() == WorkloadSpec.parse("getpid:count=100000"))
    }

    /// The result payload is a `runs[]` element of `--json` output: same keys, same dates.
    @Test func resultPayloadUsesTheResultSchema() throws {
        let result = Fixtures.result()
        let payload = try AgentMessage.result(result).payload()
        let object = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        #expect(object["wall_ns"] as? Int == 123_456_789)
        #expect(object["started_at"] as? String == "2023-11-14T22:13:20Z")
        #expect(object["slow_syscalls"] != nil)
        let fromDocument = try ResultDocument.decoder().decode(RunResult.self, from: payload)
        #expect(fromDocument.syscalls == result.syscalls)
        #expect(!String(decoding: payload, as: UTF8.self).contains("\n"), "not pretty-printed")
    }

    @Test func nonFiniteNumbersDoNotStopAResult() throws {
        var result = Fixtures.result()
        result.workloadReport?.nsPerOp = .nan
        result.details?.limits?.cpus = .infinity
        let decoded = try AgentMessage(type: "result", payload: try AgentMessage.result(result).payload())
        guard case .result(let r) = decoded else { Issue.record("not a result"); return }
        #expect(r.workloadReport?.nsPerOp.isNaN == true)
        #expect(r.details?.limits?.cpus == .infinity)
    }

    @Test func failuresKeepTheirKind() {
        let original = IsoprobeError(.missing, "no BTF in the guest kernel", fix: "rebuild with BTF", cause: "ENOENT")
        let failure = AgentFailure(original)
        #expect(failure.kind == "missing")
        #expect(failure.isoprobeError.exitCode == 3)
        #expect(failure.isoprobeError.description == original.description)
        struct Other: Error, CustomStringConvertible { var description: String { "plain error" } }
        #expect(AgentFailure(Other() as any Error) == AgentFailure(message: "plain error"))
        #expect(AgentFailure(message: "x", kind: "weird").isoprobeError.exitCode == 1)
    }

    @Test func malformedPayloadsAreErrors() {
        #expect(throws: AgentProtocolError.unknownMessageType("nope")) { try AgentMessage(type: "nope", payload: Data("{}".utf8)) }
        #expect(throws: (any Error).self) { try AgentMessage(type: "result", payload: Data("{}".utf8)) }
        #expect(throws: (any Error).self) { try AgentMessage(type: "log", payload: Data("[1]".utf8)) }
    }

    /// The writer on one end of a pipe, the reader on the other, in this process.
    @Test func writerToReaderThroughAPipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writeEnd = fds[1]
        let writer = AgentChannel.Writer(fileDescriptor: writeEnd, session: 77, chunkSize: 512)
        let messages = Fixtures.everyMessage + [.result(Fixtures.result(syscalls: 100))]
        // Written from another thread: the pipe holds only 64 KiB.
        let done = DispatchSemaphore(value: 0)
        let box = ErrorBox()
        Thread.detachNewThread {
            do {
                for (i, m) in messages.enumerated() { #expect(try writer.send(m) == UInt32(i)) }
            } catch { box.error = error }
            close(writeEnd)
            done.signal()
        }
        var reader = AgentChannel.Reader()
        var events: [AgentEvent] = []
        let ended = try reader.read(fileDescriptor: fds[0], bufferSize: 1000) { events.append($0); return true }
        close(fds[0])
        done.wait()
        #expect(box.error == nil)
        #expect(ended)
        #expect(events == messages.map { .message($0) })
        #expect(reader.statistics.bytes > 0 && reader.statistics.frames > messages.count)
    }

    @Test func readerStopsWhenAsked() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let writer = AgentChannel.Writer(fileDescriptor: fds[1])
        try writer.send(.ready)
        try writer.send(.bye)
        // The write end stays open: only the handler's answer can end the read.
        var reader = AgentChannel.Reader()
        var seen: [AgentEvent] = []
        let ended = try reader.read(fileDescriptor: fds[0]) { event in
            seen.append(event)
            return event != .message(.bye)
        }
        close(fds[1])
        #expect(!ended)
        #expect(seen == [.message(.ready), .message(.bye)])
    }
}

final class ErrorBox: @unchecked Sendable {
    var error: (any Error)?
}
