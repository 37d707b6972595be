import Foundation
import IsoprobeCore

/// What agent and host say to each other. A guest serves many runs: the agent sends
/// `hello` and `ready`; then per `run` request from the host, `heartbeat`s every second while
/// it runs, `output` when asked, and `result` (or `error`), then `ready` again; on the host's
/// `poweroff` it sends `bye` last and the guest powers off. A reader
/// that saw no `bye` knows the stream was cut, and how many messages it may have lost at the
/// end cannot otherwise be known.
///
/// The cases that carry structs are indirect: a message is then a pointer wide, so a batch of
/// events a reader hands over costs what was read, not a result's size per console line.
public enum AgentMessage: Sendable {
    indirect case hello(AgentHello)
    /// Probes loaded, waiting for (or about to start) the run request.
    case ready
    /// Host to agent, when there is a channel that way (else on the kernel command line).
    indirect case runRequest(GuestRunRequest)
    /// A line of the agent's own text (progress, warnings), for the host's log.
    case log(String)
    /// The workload's standard output (its last `ChildProcess.stdoutLimit` bytes), before
    /// its `result`, when the request set `returnOutput`: a checker's verdicts, say.
    case output(String)
    indirect case result(RunResult)
    indirect case error(AgentFailure)
    /// The agent is done; nothing follows from this session.
    case bye
    /// Agent to host while a run is under way, every `heartbeatInterval`: the guest still answers.
    case heartbeat
    /// Host to agent: serve no more runs, say `bye` and power the guest off.
    case poweroff

    /// Version of the message payloads; `hello` carries it.
    public static let protocolVersion = 3

    /// How often the agent sends `heartbeat` during a run, in seconds.
    public static let heartbeatInterval = 1.0

    /// Message types as they appear in frame headers.
    public enum Kind: String, Sendable, CaseIterable {
        case hello, ready, run, log, output, result, error, bye, heartbeat, poweroff
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
        case .heartbeat: return .heartbeat
        case .poweroff: return .poweroff
        }
    }
}

extension AgentMessage {
    /// The line the agent prints on the guest console as it starts; the host times a
    /// guest's boot by it (the console is not a frame channel, so it is plain text).
    public static let consoleReadyLine = "isoprobe-agent: ready"
}
