import Foundation
import IsoprobeCore
import SystemPackage

/// The host's side of the agent channel: waits for the agent's `ready`, sends run requests
/// and reads their answers as the bytes arrive. The agent is in a guest, and a guest is
/// untrusted: what is read is bounded by `ChannelLimits.guest`, time by deadlines that only
/// the agent's messages extend, and the number of messages by the run's length. A guest that
/// breaks any of these ends its run with one error, and the client is `isBroken`: its owner
/// throws the guest away.
public final class AgentClient {
    private let input: Int32
    private let writer: AgentChannel.Writer
    private var reader = AgentChannel.Reader(limits: .guest)
    private var queue: [AgentEvent] = []
    private var head = 0
    private let check: () throws -> Void
    private let context: () -> String?
    public private(set) var hello: AgentHello?
    /// The channel cannot be trusted for another run: it broke a limit, fell silent, ended,
    /// or answered out of turn. Only an answered run (a result, or the agent's own error)
    /// leaves the client usable.
    public private(set) var isBroken = false

    /// A run answers with a message at least this often (the agent's heartbeat is every
    /// second): a guest silent this long is taken as hung.
    public static let silenceLimit: Duration = .seconds(10)
    /// A run with a timeout is answered within the timeout and this: the agent ends the
    /// workload at its timeout and reports.
    public static let answerAllowance: Duration = .seconds(30)
    /// Messages a run may bring: this many, and `messagesPerSecond` more for each second it
    /// lasts. The agent sends one heartbeat a second, an output and a result.
    public static let messageAllowance = 100
    public static let messagesPerSecond = 10

    /// - Parameters:
    ///   - check: called between reads; throws to stop waiting (an interruption).
    ///   - context: what the far end last showed (a console's tail), for an error's cause.
    public init(input: Int32, output: Int32, check: @escaping () throws -> Void = {},
                context: @escaping () -> String? = { nil }) {
        self.input = input
        writer = AgentChannel.Writer(fileDescriptor: output)
        self.check = check
        self.context = context
    }

    /// Reads the agent's `hello` and `ready`.
    public func awaitReady(until deadline: ContinuousClock.Instant) throws {
        while true {
            switch try next(until: deadline, what: "boot to the agent's ready") {
            case .message(.hello(let h)): hello = h
            case .message(.ready): return
            case .message(.error(let f)):
                isBroken = true
                throw IsoprobeError(.failed, "the guest's agent could not start: \(f.message)")
            case .message(.bye): throw ended("the guest's agent stopped before it was ready")
            default: continue
            }
        }
    }

    /// Sends one run and waits for its answer: the workload's output (when asked) and its
    /// result, then the agent's `ready` for the next. `sent` runs once the request is out.
    public func run(_ request: GuestRunRequest, sent: () -> Void = {}) throws -> (result: RunResult, output: String?) {
        guard !isBroken else { throw IsoprobeError(.failed, "the guest's agent channel is broken") }
        isBroken = true
        reader.startBudget()
        try writer.send(.runRequest(request))
        sent()
        let started = ContinuousClock.now
        let overall = request.timeoutSeconds.map { started + .milliseconds(Int64($0 * 1000)) + Self.answerAllowance }
        var heard = started
        var messages = 0
        var output: String?
        while true {
            let deadline = min(heard + Self.silenceLimit, overall ?? .now + .seconds(3600))
            let event = try next(until: deadline, what: "an answer to the run", silentSince: heard)
            guard case .message(let message) = event else { continue }
            heard = .now
            messages += 1
            let seconds = Int((heard - started).components.seconds)
            guard messages <= Self.messageAllowance + Self.messagesPerSecond * seconds else {
                throw violation("\(messages) messages in \(seconds) s (an agent sends a heartbeat a second)")
            }
            switch message {
            case .output(let text): output = text
            case .result(let r):
                try awaitIdle()
                isBroken = false
                return (r, output)
            case .error(let f):
                try awaitIdle()
                isBroken = false
                throw IsoprobeError(.failed, "in the guest: \(f.message)")
            case .bye: throw ended("the guest's agent stopped during the run")
            case .heartbeat, .log: continue
            case .hello, .ready, .runRequest, .poweroff:
                throw violation("'\(message.kind.rawValue)' during a run")
            }
        }
    }

    /// Asks the agent to power off (it says `bye`); false when the channel is gone.
    @discardableResult
    public func powerOff() -> Bool {
        (try? writer.send(.poweroff)) != nil
    }

    /// The agent's `ready` after a run: it is waiting for the next request.
    private func awaitIdle() throws {
        let heard = ContinuousClock.now
        while true {
            switch try next(until: heard + Self.silenceLimit, what: "the agent's ready after the run", silentSince: heard) {
            case .message(.ready): return
            case .message(.bye): throw ended("the guest's agent stopped after the run")
            case .message(.heartbeat), .message(.log): continue
            case .message(let m): throw violation("'\(m.kind.rawValue)' after a run's answer")
            default: continue
            }
        }
    }

    /// The next event from the channel, read as it arrives. A broken channel is an error.
    private func next(until deadline: ContinuousClock.Instant, what: String,
                      silentSince: ContinuousClock.Instant? = nil) throws -> AgentEvent {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let began = silentSince ?? ContinuousClock.now
        while head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
            try check()
            guard ContinuousClock.now < deadline else {
                throw IsoprobeError(.failed, "the guest did not answer (\(what)) within \(Int((deadline - began).components.seconds)) s",
                                    cause: context())
            }
            var p = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let left = deadline - ContinuousClock.now
            let ready = poll(&p, 1, Int32(clamping: min(left.components.seconds * 1000 + 1, 250)))
            if ready < 0 && errno != EINTR {
                throw IsoprobeError(.failed, "poll on the agent channel", cause: ErrorWords.of(errno: errno))
            }
            guard ready > 0 else { continue }
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: input).read(into: $0) }
            } catch Errno.resourceTemporarilyUnavailable {
                continue
            } catch {
                n = 0  // a reset or closed channel ends it as end of file does
            }
            if n == 0 {
                queue = reader.finish()
                if queue.isEmpty {
                    try check()
                    throw ended("the guest ended (its channel closed) waiting for \(what)")
                }
                break
            }
            queue = buffer.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        let event = queue[head]
        head += 1
        if case .channelBroken(let reason) = event { throw violation(reason) }
        return event
    }

    private func violation(_ reason: String) -> IsoprobeError {
        isBroken = true
        return IsoprobeError(.failed, "the guest broke the agent protocol: \(reason)", cause: context())
    }

    private func ended(_ message: String) -> IsoprobeError {
        isBroken = true
        return IsoprobeError(.failed, message, cause: context())
    }
}
