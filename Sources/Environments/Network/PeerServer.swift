import Foundation
import Host
import IsoprobeCore

/// The far end of one network run: fixtures/network/peer-server started in the peer's
/// namespace before the workload and stopped after it, so its closing line is that run's
/// account alone (every transaction, datagram and byte it served, timed on its side).
/// The only owner of the server's process: `stop()` runs on every path out, and a signal
/// to isoprobe kills it; a SIGKILLed isoprobe leaves it in the ledger.
public final class PeerServer {
    public let pid: pid_t
    private let output: Int32
    private var pending = [UInt8]()
    private var token: ResourceLedger.Token?
    private var interruptToken: Int?
    private var stopped = false
    private let figures: (String) -> PeerServerFigures?
    /// A server that ends by itself after its one client (iperf3 -1) is given this long
    /// to write its account before it is signalled.
    var grace: Duration = .zero

    /// The binary beside the fixture workloads.
    public static let binaryName = "peer-server"
    /// What a server may print in one run (iperf3's JSON is a few tens of KiB).
    static let outputLimit = 4 << 20

    /// The fixtures' server (fixtures/network/peer-server), listening on `port`.
    public convenience init(binary: String, port: Int = TestNetwork.serverPort, network: TestNetwork) throws {
        guard access(binary, X_OK) == 0 else {
            throw IsoprobeError(.missing, "the network workloads' server \(binary) is not built", fix: "run `make workloads`")
        }
        try self.init(argv: [binary, "port=\(port)"], port: port, network: network) { text in
            text.split(separator: "\n").lazy.compactMap(PeerServerFigures.parse(line:)).last
        }
    }

    /// A tool's server (iperf3 -s, sockperf server), its account parsed by the tool.
    public convenience init(tool: ToolWorkload, network: TestNetwork) throws {
        guard let program = HostTool.find(tool.executable) else {
            throw IsoprobeError(.missing, "\(tool.executable) not found: its server runs in the peer", fix: "apt-get install -y \(tool.executable)")
        }
        try self.init(argv: [program] + tool.serverArguments(peer: network.peerAddress), port: tool.port, network: network) {
            tool.serverFigures(output: $0)
        }
        if tool == .iperf3 { grace = .seconds(2) }
    }

    /// Starts argv in the network's peer namespace and waits (at most 5 s) until it listens
    /// on `port` (the server's own /proc/<pid>/net/tcp, which shows its namespace).
    public init(argv: [String], port: Int, network: TestNetwork, figures: @escaping (String) -> PeerServerFigures?) throws {
        guard let ip = HostTool.find("ip") else {
            throw IsoprobeError(.missing, "ip (iproute2) not found", fix: "apt-get install -y iproute2")
        }
        self.figures = figures
        let pipe = try HelperCommand.pipe()
        let spawned = Result {
            try HelperCommand.spawn([ip, "netns", "exec", network.peerNamespace] + argv,
                                    stdoutFD: pipe.write, stderrFD: pipe.write, newProcessGroup: true, closeOthers: true)
        }
        close(pipe.write)
        output = pipe.read
        switch spawned {
        case .success(let p): pid = p
        case .failure(let error):
            close(pipe.read)
            throw error
        }
        token = ProcFS.stat(of: pid).map { ResourceLedger.shared.record(.process(pid: pid, startTime: $0.starttime)) }
        interruptToken = Interruption.shared.onInterrupt { [pid] in kill(-pid, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(5)
        while !Self.listens(pid: pid, port: port) {
            if ContinuousClock.now >= deadline || (ProcFS.stat(of: pid)?.hasExited ?? true) {
                _ = stop()
                throw IsoprobeError(.failed, "the peer's server (\((argv[0] as NSString).lastPathComponent)) did not listen on port \(port) in \(network.peerNamespace)",
                                    cause: String(decoding: pending.suffix(400), as: UTF8.self))
            }
            try? Interruption.shared.check()
            usleep(2_000)
        }
    }

    /// Whether the process has a TCP socket listening on `port` in its network namespace.
    static func listens(pid: pid_t, port: Int) -> Bool {
        guard let table = ProcFS.text("/proc/\(pid)/net/tcp") else { return false }
        let suffix = String(format: ":%04X", port)
        return table.split(separator: "\n").dropFirst().contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[1].hasSuffix(suffix) && fields[3] == "0A"
        }
    }

    /// Ends the server (SIGTERM: ours prints its account and exits; iperf3's one-off server
    /// has already) and returns its account; nil when it gave none. Idempotent: later calls
    /// return nil.
    public func stop() -> PeerServerFigures? {
        finish().flatMap(figures)
    }

    /// Ends the server as `stop()` does; what it printed (at most `outputLimit` bytes), nil
    /// when already stopped.
    public func finish() -> String? {
        guard !stopped else { return nil }
        stopped = true
        let graceEnd = ContinuousClock.now + grace
        while ContinuousClock.now < graceEnd && !(ProcFS.stat(of: pid)?.hasExited ?? true) { usleep(2_000) }
        kill(pid, SIGTERM)
        drain(until: .now + .seconds(5))
        kill(-pid, SIGKILL)
        _ = HelperCommand.wait(pid)
        close(output)
        if let interruptToken { Interruption.shared.remove(interruptToken) }
        ResourceLedger.shared.release(token)
        return String(decoding: pending, as: UTF8.self)
    }

    deinit { _ = stop() }

    /// Reads the server's output until end of file, the deadline or the limit.
    private func drain(until deadline: ContinuousClock.Instant) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while pending.count < Self.outputLimit {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return }
            var p = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left.components.seconds * 1000 + 1)) > 0 else { continue }
            let n = read(output, &buffer, min(buffer.count, Self.outputLimit - pending.count))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            pending += buffer[0..<n]
        }
    }
}
