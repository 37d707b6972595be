import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// The host's side of the agent channel against an agent that breaks the protocol: the
    /// real binary on both ends (`agent --request` is the client a VM run uses,
    /// `agent --serve --misbehave` the hostile guest), joined by pipes.
    @Suite struct HostileAgentTests {
        /// Peak memory a host process may reach whatever a guest sends.
        static let memoryLimitKiB = 200 << 10

        struct Exchange {
            var status: Int32
            var stderr: [String]
            var seconds: Double

            /// The client's own report of its peak resident memory.
            var peakKiB: Int? {
                stderr.lazy.compactMap { line -> Int? in
                    guard line.hasPrefix("isoprobe: peak memory ") else { return nil }
                    return Int(line.dropFirst("isoprobe: peak memory ".count).prefix { $0.isNumber })
                }.first
            }

            var errors: [String] { stderr.filter { !$0.hasPrefix("isoprobe: peak memory ") && !$0.hasPrefix("isoprobe: result: ") } }
        }

        /// Runs an agent (misbehaving or not) and the host's client against each other.
        static func exchange(misbehaving mode: String?, workload: String = "getpid:count=1000") throws -> (Exchange, String?) {
            var toHost: [Int32] = [0, 0], toAgent: [Int32] = [0, 0]
            #expect(pipe(&toHost) == 0 && pipe(&toAgent) == 0)
            let agent = Process()
            agent.executableURL = URL(fileURLWithPath: Repo.binary)
            agent.arguments = ["agent", "--serve", "--channel", "-", "--probes-dir", Repo.probesDirectory]
                + (mode.map { ["--misbehave", $0] } ?? [])
            agent.standardInput = FileHandle(fileDescriptor: toAgent[0])
            agent.standardOutput = FileHandle(fileDescriptor: toHost[1])
            agent.standardError = FileHandle.nullDevice
            let client = Process()
            client.executableURL = URL(fileURLWithPath: Repo.binary)
            client.arguments = ["agent", "--request", workload, "--channel", "-"]
            client.standardInput = FileHandle(fileDescriptor: toHost[0])
            client.standardOutput = FileHandle(fileDescriptor: toAgent[1])
            let err = Pipe()
            client.standardError = err
            let started = Date()
            try agent.run()
            try client.run()
            for fd in toHost + toAgent { close(fd) }
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            client.waitUntilExit()
            let seconds = Date().timeIntervalSince(started)
            if agent.isRunning { kill(agent.processIdentifier, SIGKILL) }
            agent.waitUntilExit()
            let lines = text.split(separator: "\n").map(String.init)
            let result = lines.first { $0.hasPrefix("isoprobe: result: ") }.map { String($0.dropFirst("isoprobe: result: ".count)) }
            return (Exchange(status: client.terminationStatus, stderr: lines, seconds: seconds), result)
        }

        /// The control: a well-behaved agent's answer arrives whole, with exact counts.
        @Test func aWellBehavedAgentAnswers() throws {
            try Requirements.requireRootAndBPF()
            let (x, result) = try Self.exchange(misbehaving: nil)
            #expect(x.status == 0, "\(x.stderr)")
            let json = try #require(result, "no result: \(x.stderr)")
            let run = try AgentMessageDecoding.result(json)
            #expect(run.syscall("getpid")?.count == 1000, "\(run.syscalls.map(\.name))")
        }

        /// Each misbehaviour ends the run with one error naming what was broken, at once, and
        /// the client never holds more than `memoryLimitKiB`.
        @Test(arguments: [
            ("abandon", "messages lost"),
            ("huge", "is over 16 MiB"),
            ("console", "text that is not frames"),
            ("endless-line", "text that is not frames"),
            ("deep-json", "JSON nested over 32 deep"),
            ("bad-utf8", "does not decode"),
            ("sessions", "more than 8 writer sessions"),
            ("heartbeats", "an agent sends a heartbeat a second"),
        ])
        func aMisbehavingAgentEndsItsRun(mode: String, says: String) throws {
            try Requirements.requireBuilt()
            let (x, result) = try Self.exchange(misbehaving: mode)
            #expect(x.status == 1, "\(mode): \(x.stderr)")
            #expect(result == nil)
            #expect(x.errors.count == 1, "\(mode): one error line, got \(x.errors)")
            let line = x.errors.first ?? ""
            #expect(line.hasPrefix("isoprobe: the guest broke the agent protocol: ") && line.contains(says), "\(mode): \(line)")
            let peak = try #require(x.peakKiB, "\(mode): no peak memory line in \(x.stderr)")
            #expect(peak < Self.memoryLimitKiB, "\(mode): peak memory \(peak) KiB")
            #expect(x.seconds < 30, "\(mode) took \(x.seconds) s")
        }
    }
}

extension KernelTests {
    /// The same hostile agent inside a real guest: the run it answers ends with the one
    /// error, QEMU is killed, and the plan goes on in a fresh guest with exact counts.
    @Suite(.enabled(if: VMRequirements.available || Requirements.inCI, "needs root, qemu-system-x86_64 and a guest kernel (make kernel)"))
    struct HostileGuestTests {
        @Test func aGuestThatBreaksTheProtocolLosesItsRunAndThePlanGoesOn() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let dir = temporaryPath("hostile-guest")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let suite = dir + "/suite.toml"
            try """
                repetitions = 2
                warmups = 0
                environments = ["vm"]
                [[workload]]
                spec = "getpid:count=1000"
                """.write(toFile: suite, atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            environment["ISOPROBE_AGENT_MISBEHAVE"] = "abandon"
            let peak = PeakMemory()
            let r = try isoprobe(["run", "--suite", suite, "--quiet"], timeout: 240, environment: environment) {
                peak.watch($0.processIdentifier)
            }
            let peakKiB = peak.stop()
            #expect(peakKiB > 0 && peakKiB < HostileAgentTests.memoryLimitKiB, "isoprobe's peak memory: \(peakKiB) KiB")
            let broke = r.process.stderrLines.filter { $0.contains("the guest broke the agent protocol") }
            #expect(broke.count == 1 && broke.first?.contains("messages lost") == true, "\(r.process.stderr)")
            let doc = try #require(r.document, "no JSON; stderr: \(r.process.stderr)")
            // Repetition 1 was lost with its guest; repetition 2 ran in the next one.
            #expect(doc.runs.map(\.repetition) == [2], "\(doc.runs.map(\.repetition))")
            #expect(doc.runs.first?.syscall("getpid")?.count == 1000)
            #expect(doc.runs.first?.details?.bootNs != nil, "the second run should have booted a guest of its own")
        }
    }
}

/// The high-water mark of a process's resident memory (VmHWM), sampled until it exits or
/// `stop()` is called: the last sample before the process is gone.
final class PeakMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var kib = 0
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    func watch(_ pid: Int32) {
        Thread {
            while !self.lock.withLock({ self.stopped }) {
                guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { break }
                if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                   let value = Int(line.split(separator: " ").dropFirst().first ?? "") {
                    self.lock.withLock { self.kib = max(self.kib, value) }
                }
                usleep(20_000)
            }
            self.done.signal()
        }.start()
    }

    /// Stops watching; the peak seen, in KiB.
    func stop() -> Int {
        lock.withLock { stopped = true }
        done.wait()
        return lock.withLock { kib }
    }
}

/// A result as the agent sends it (the result schema's JSON run).
enum AgentMessageDecoding {
    static func result(_ json: String) throws -> RunResult {
        try ResultDocument.decoder().decode(RunResult.self, from: Data(json.utf8))
    }
}
