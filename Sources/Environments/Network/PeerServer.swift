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

    /// The binary beside the fixture workloads.
    public static let binaryName = "peer-server"
    /// The server's lines are short; a server that writes more is cut off here.
    static let outputLimit = 1 << 16

    /// Starts the server in the network's peer namespace and waits (at most 5 s) for its
    /// `listening` line.
    public init(binary: String, network: TestNetwork, port: Int = TestNetwork.serverPort) throws {
        guard access(binary, X_OK) == 0 else {
            throw IsoprobeError(.missing, "the network workloads' server \(binary) is not built", fix: "run `make workloads`")
        }
        guard let ip = HostTool.find("ip") else {
            throw IsoprobeError(.missing, "ip (iproute2) not found", fix: "apt-get install -y iproute2")
        }
        let pipe = try HelperCommand.pipe()
        let spawned = Result {
            try HelperCommand.spawn([ip, "netns", "exec", network.peerNamespace, binary, "port=\(port)"],
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
        do {
            guard let line = try readLine(until: .now + .seconds(5)), line.hasPrefix("isoprobe-peer listening") else {
                throw IsoprobeError(.failed, "the peer's server did not start in \(network.peerNamespace)",
                                    cause: String(decoding: pending, as: UTF8.self))
            }
        } catch {
            _ = stop()
            throw error
        }
    }

    /// Ends the server (SIGTERM: it prints its account and exits) and returns its account;
    /// nil when it gave none. Idempotent: later calls return nil.
    public func stop() -> PeerServerFigures? {
        guard !stopped else { return nil }
        stopped = true
        kill(pid, SIGTERM)
        var figures: PeerServerFigures?
        while let line = try? readLine(until: .now + .seconds(5)) {
            if let f = PeerServerFigures.parse(line: Substring(line)) { figures = f }
        }
        kill(-pid, SIGKILL)
        _ = HelperCommand.wait(pid)
        close(output)
        if let interruptToken { Interruption.shared.remove(interruptToken) }
        ResourceLedger.shared.release(token)
        return figures
    }

    deinit { _ = stop() }

    /// The next line, nil at end of file; throws at the deadline.
    private func readLine(until deadline: ContinuousClock.Instant) throws -> String? {
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                return line
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw IsoprobeError(.failed, "the peer's server did not answer within 5 s") }
            var p = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left.components.seconds * 1000 + 1)) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(output, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                // End of file: a last line without its newline still counts.
                guard !pending.isEmpty else { return nil }
                defer { pending = [] }
                return String(decoding: pending, as: UTF8.self)
            }
            guard pending.count + n <= Self.outputLimit else {
                throw IsoprobeError(.failed, "the peer's server wrote more than \(Self.outputLimit) bytes")
            }
            pending += buffer[0..<n]
        }
    }
}
