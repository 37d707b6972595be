import Foundation
import IsoprobeCore

/// What agent and host say to each other. A session from the agent goes
/// `hello`, `ready`, then per run `log`*, `output` when asked, and `result` (or `error`), and
/// `bye` last: a reader
/// that saw no `bye` knows the stream was cut, and how many messages it may have lost at the
/// end cannot otherwise be known.
public enum AgentMessage: Sendable {
    case hello(AgentHello)
    /// Probes loaded, waiting for (or about to start) the run request.
    case ready
    /// Host to agent, when there is a channel that way (else on the kernel command line).
    case runRequest(RunRequest)
    /// A line of the agent's own text (progress, warnings), for the host's log.
    case log(String)
    /// The workload's standard output (its last `ChildProcess.stdoutLimit` bytes), before
    /// its `result`, when the request set `returnOutput`: a checker's verdicts, say.
    case output(String)
    case result(RunResult)
    case error(AgentFailure)
    /// The agent is done; nothing follows from this session.
    case bye

    /// Version of the message payloads; `hello` carries it.
    public static let protocolVersion = 2

    /// Message types as they appear in frame headers.
    public enum Kind: String, Sendable, CaseIterable {
        case hello, ready, run, log, output, result, error, bye
    }

    public var kind: Kind {
        switch self {
        case .hello: return .hello
        case .ready: return .ready
        case .runRequest: return .run
        case .log: return .log
        case .output: return .output
        case .result: return .result
        case .error: return .error
        case .bye: return .bye
        }
    }
}

extension AgentMessage {
    /// The line the agent prints on the guest console as it starts; the host times a
    /// guest's boot by it (the console is not a frame channel, so it is plain text).
    public static let consoleReadyLine = "isoprobe-agent: ready"
}
