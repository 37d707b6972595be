import Foundation
@testable import AgentProtocol
import Testing

@Suite struct KernelCommandLineTests {
    @Test func roundTrip() throws {
        for request in [Fixtures.request,
                        RunRequest(spec: "tar czf /tmp/x.tgz /usr/share/doc", isCommand: true,
                                   argv: ["tar", "czf", "/tmp/x.tgz", "/usr/share/doc"], probes: []),
                        RunRequest(spec: "sleep:ms=5", argv: ["/isoprobe/workloads/sleep", "5"],
                                   environment: ["K": "v with spaces \"and\" quotes=+/"], probes: ["sched"]),
                        RunRequest(spec: "boundaries check", isCommand: true, argv: ["/isoprobe/workloads/boundaries", "check"],
                                   probes: ["syscalls"], returnOutput: true)] {
            let parameter = try request.kernelCommandLineParameter()
            #expect(parameter.hasPrefix("isoprobe.run=1."))
            let token = String(parameter.dropFirst("isoprobe.run=".count))
            #expect(token.dropFirst(2).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") },
                    "token must need no quoting: \(token)")
            #expect(try RunRequest(kernelCommandLineToken: token) == request)
            let cmdline = "console=ttyS0,115200 panic=-1 quiet rdinit=/init \(parameter) loglevel=3\n"
            #expect(try RunRequest.fromKernelCommandLine(cmdline) == request)
        }
    }

    @Test func compactForTheDefaultRequest() throws {
        let parameter = try Fixtures.request.kernelCommandLineParameter()
        // One-letter keys keep a typical request to a few hundred bytes.
        #expect(parameter.utf8.count < 300, "\(parameter.utf8.count) bytes: \(parameter)")
        #expect(try RunRequest(spec: "getpid", argv: ["/isoprobe/workloads/getpid"], probes: ["syscalls"])
            .kernelCommandLineParameter().utf8.count < 120)
    }

    @Test func sizeLimitIsEnforced() throws {
        var request = Fixtures.request
        request.environment = Dictionary(uniqueKeysWithValues: (0..<60).map { ("VARIABLE_\($0)", String(repeating: "v", count: 20)) })
        #expect(throws: AgentProtocolError.self) { _ = try request.kernelCommandLineParameter() }
        do {
            _ = try request.kernelCommandLineParameter()
        } catch let AgentProtocolError.commandLineTooLong(bytes, limit) {
            #expect(limit == RunRequest.defaultKernelParameterLimit && bytes > limit)
        }
        // The limit is the caller's: a larger one accepts the same request.
        let parameter = try request.kernelCommandLineParameter(limit: 4096)
        #expect(try RunRequest.fromKernelCommandLine(parameter) == request)
        // And exactly at the limit is allowed.
        #expect(try request.kernelCommandLineParameter(limit: parameter.utf8.count) == parameter)
    }

    @Test func absentAndDamagedTokens() throws {
        #expect(try RunRequest.fromKernelCommandLine("console=ttyS0 quiet") == nil)
        let token = try Fixtures.request.kernelCommandLineToken()
        // Cut short, as the kernel does past COMMAND_LINE_SIZE.
        for cut in [3, token.count / 2, token.count - 1] {
            #expect(throws: AgentProtocolError.self) { try RunRequest(kernelCommandLineToken: String(token.prefix(cut))) }
        }
        #expect(throws: AgentProtocolError.self) { try RunRequest(kernelCommandLineToken: "2." + token.dropFirst(2)) }
        #expect(throws: AgentProtocolError.self) { try RunRequest(kernelCommandLineToken: "1.abc+def") }
        // The last of several wins, as with the kernel's own parameters.
        let other = RunRequest(spec: "getpid", argv: ["g"], probes: [])
        let cmdline = "isoprobe.run=\(token) isoprobe.run=\(try other.kernelCommandLineToken())"
        #expect(try RunRequest.fromKernelCommandLine(cmdline) == other)
    }
}
