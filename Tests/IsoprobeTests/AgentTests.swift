import AgentProtocol
import Foundation
import Harness
import IsoprobeCore
import Testing

extension KernelTests {
    /// `isoprobe agent --serve`, the guest side of --env vm, run here on the host over
    /// standard input and output: it takes run requests as frames until told to power off,
    /// and answers each with its result and `ready`.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct AgentTests {
        /// Sends `messages` (then nothing more) and returns the agent's exit status and answers.
        func serve(_ messages: [AgentMessage]) throws -> (status: Int32, received: [AgentMessage], corrupt: Bool) {
            try Requirements.requireKernelTestSetup()
            let input = temporaryPath("agent-input")
            defer { try? FileManager.default.removeItem(atPath: input) }
            _ = FileManager.default.createFile(atPath: input, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: input))
            let writer = AgentChannel.Writer(fileHandle: handle)
            for m in messages { try writer.send(m) }
            try handle.close()
            let result = try runProcess(Repo.binary, ["agent", "--serve", "--channel", "-"], input: input)
            var reader = AgentChannel.Reader()
            let events = reader.feed(Data(result.stdout.utf8)) + reader.finish()
            let received = events.compactMap { if case .message(let m) = $0 { return m } else { return nil } }
            let corrupt = events.contains { if case .corruptFrame = $0 { return true } else { return false } }
            return (result.status, received, corrupt)
        }

        func request(_ spec: String, repetition: Int) throws -> GuestRunRequest {
            let argv = try WorkloadCatalog(directory: Repo.workloadsDirectory).argv(for: try WorkloadSpec.parse(spec))
            return GuestRunRequest(spec: spec, argv: argv, probes: ["syscalls", "sched", "memory"], repetition: repetition)
        }

        @Test func servesRunsUntilPoweroff() throws {
            let (status, received, corrupt) = try serve([
                .runRequest(try request("getpid:count=1000", repetition: 3)),
                .runRequest(try request("getpid:count=2500", repetition: 4)),
                .poweroff,
            ])
            #expect(status == 0)
            let kinds = received.map(\.kind).filter { $0 != .heartbeat }
            #expect(kinds == [.hello, .ready, .result, .ready, .result, .ready, .bye], "\(kinds)")
            guard case .hello(let hello) = received.first else {
                Issue.record("first message is not hello: \(String(describing: received.first?.kind))")
                return
            }
            #expect(hello.kernelRelease == HostFacts.current(cgroupLayout: "").kernel)
            let results = received.compactMap { m -> RunResult? in if case .result(let r) = m { return r } else { return nil } }
            #expect(results.map(\.repetition) == [3, 4])
            #expect(results.map { $0.syscall("getpid")?.count } == [1000, 2500])
            #expect(results.allSatisfy { $0.exit.succeeded })
            // Each run has a cgroup of its own.
            #expect(Set(results.map(\.target.cgroupId)).count == 2)
            #expect(!corrupt)
        }

        @Test func reportsAnUnknownWorkloadAsAnErrorAndServesOn() throws {
            let (status, received, _) = try serve([
                .runRequest(GuestRunRequest(spec: "nosuch", argv: [], probes: ["syscalls"])),
                .runRequest(try request("getpid:count=10", repetition: 1)),
                .poweroff,
            ])
            #expect(status != 0, "a failed run makes the agent's exit status non-zero")
            let failure = received.compactMap { m -> AgentFailure? in if case .error(let f) = m { return f } else { return nil } }
            #expect(failure.first?.message.contains("nosuch") == true, "\(received.map(\.kind))")
            let results = received.compactMap { m -> RunResult? in if case .result(let r) = m { return r } else { return nil } }
            #expect(results.first?.syscall("getpid")?.count == 10, "the agent serves the next run after an error")
            if case .bye = received.last {} else { Issue.record("last message is not bye") }
        }
    }
}
