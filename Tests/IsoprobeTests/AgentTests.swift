import AgentProtocol
import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// `isoprobe agent`, the guest side of --env vm, run here on the host: it takes the
    /// request as the kernel command line would carry it and answers in frames.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct AgentTests {
        func serve(_ request: AgentProtocol.RunRequest) throws -> (status: Int32, events: [AgentEvent]) {
            try Requirements.requireKernelTestSetup()
            let channel = temporaryPath("agent-channel")
            defer { try? FileManager.default.removeItem(atPath: channel) }
            let token = try request.kernelCommandLineToken()
            let result = try runProcess(Repo.binary, ["agent", "--request-token", token, "--channel", channel])
            var reader = AgentChannel.Reader()
            let data = FileManager.default.contents(atPath: channel) ?? Data()
            let events = reader.feed(data) + reader.finish()
            return (result.status, events)
        }

        func messages(_ events: [AgentEvent]) -> [AgentMessage] {
            events.compactMap { if case .message(let m) = $0 { return m } else { return nil } }
        }

        @Test func answersWithHelloResultsAndBye() throws {
            let request = AgentProtocol.RunRequest(spec: "getpid:count=1000", argv: [], probes: ["syscalls", "sched", "memory"],
                                                   repetition: 3, count: 2)
            let (status, events) = try serve(request)
            #expect(status == 0)
            let received = messages(events)
            #expect(received.count == 4, "hello, two results, bye: \(received.map(\.kind))")
            guard case .hello(let hello) = received.first else {
                Issue.record("first message is not hello: \(String(describing: received.first?.kind))")
                return
            }
            #expect(hello.kernelRelease == HostFacts.current(cgroupLayout: "").kernel)
            let results = received.compactMap { m -> RunResult? in if case .result(let r) = m { return r } else { return nil } }
            #expect(results.map(\.repetition) == [3, 4])
            for r in results {
                #expect(r.syscall("getpid")?.count == 1000, "getpid counted \(r.syscall("getpid")?.count ?? 0)")
                #expect(r.exit.succeeded)
            }
            if case .bye = received.last {} else { Issue.record("last message is not bye") }
            #expect(!events.contains { if case .corruptFrame = $0 { return true } else { return false } })
        }

        @Test func reportsAnUnknownWorkloadAsAnError() throws {
            let request = AgentProtocol.RunRequest(spec: "nosuch", argv: [], probes: ["syscalls"])
            let (status, events) = try serve(request)
            #expect(status != 0)
            let received = messages(events)
            let failure = received.compactMap { m -> AgentFailure? in if case .error(let f) = m { return f } else { return nil } }
            #expect(failure.first?.message.contains("nosuch") == true, "\(received.map(\.kind))")
            if case .bye = received.last {} else { Issue.record("last message is not bye") }
        }
    }
}
