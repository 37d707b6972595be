import Environments
import Foundation
import Host
import IsoprobeCore
import Probes

/// A plan with network workloads gets one network (`TestNetwork`) for all its environments,
/// made before their first run and removed with them; each run of a network workload gets
/// its own server in the peer, started before it and stopped after it.
extension Runner {
    /// Makes the network and attaches every environment of the plan, when the plan has
    /// network workloads.
    func connectNetwork(for request: RunRequest) throws {
        let networked = request.items.filter { NetworkWorkload(spec: $0.spec) != nil }
        guard network == nil, !networked.isEmpty else { return }
        let made = try sharedNetwork ?? TestNetwork.create()
        network = made
        for kind in Set(networked.flatMap(\.environments)).sorted() {
            let env = try environment(kind, request: request)
            guard let attachable = env as? NetworkAttachable else {
                throw IsoprobeError(.usage, "network workloads cannot run in \(kind.rawValue): it has no network path")
            }
            try attachable.attach(to: made)
        }
        PausePoint.reached(.network)
        try Interruption.shared.check()
    }

    /// `host=<peer>` for a network fixture that does not name one.
    func peerArguments(for spec: WorkloadSpec) -> [String] {
        guard let network, NetworkWorkload(spec: spec) != nil, ToolWorkload(spec: spec) == nil,
              spec.parameter(NetworkWorkload.hostParameter) == nil else { return [] }
        return ["\(NetworkWorkload.hostParameter)=\(network.peerAddress)"]
    }

    /// A tool's client aimed at the peer (its argv as this host runs it).
    func toolArgv(_ tool: ToolWorkload, spec: WorkloadSpec) throws -> [String] {
        guard let program = HostTool.find(tool.executable) else {
            throw IsoprobeError(.missing, "\(tool.executable) not found", fix: "apt-get install -y \(tool.executable) (or `make deps`)")
        }
        return [program] + (try tool.clientArguments(spec, peer: network?.peerAddress ?? NetworkWorkload.defaultPeer))
    }

    /// The server in the peer for one run of a network workload; nil for any other.
    func peerServer(for spec: WorkloadSpec) throws -> PeerServer? {
        guard let network, NetworkWorkload(spec: spec) != nil else { return nil }
        if let tool = ToolWorkload(spec: spec) { return try PeerServer(tool: tool, network: network) }
        guard let directory = catalog.directory else {
            throw IsoprobeError(.missing, "fixture workloads are not built", fix: "run `make workloads`")
        }
        // A workload that names its port has its server there: beside another plan's on the shared peer.
        let port = spec.parameter("port").flatMap(Int.init) ?? TestNetwork.serverPort
        return try PeerServer(binary: (directory as NSString).appendingPathComponent(PeerServer.binaryName), port: port,
                              network: network)
    }

    /// What watches one network run beside the probes: the network probe, and the peer's
    /// interface counters read before it.
    struct NetworkWatch {
        var probe: NetworkProbe
        var before: (received: UInt64, sent: UInt64)?
    }

    func watchNetwork(for spec: WorkloadSpec, probes: Bool) -> NetworkWatch? {
        guard let network, NetworkWorkload(spec: spec) != nil, probes else { return nil }
        return NetworkWatch(probe: NetworkProbe(directory: resources.probesDirectory, subnet: network.address(0)),
                            before: network.peerCounters())
    }

    /// The run's path, the server's account (the server stops here), the network probe's
    /// and, for a guest, the VMM's CPU per transaction and per megabyte moved.
    func networkFigures(in environment: Environment, server: PeerServer, watch: NetworkWatch?,
                        result: RunResult) -> NetworkFigures? {
        let peer = server.stop()
        guard let path = (environment as? NetworkAttachable)?.networkPath else { return nil }
        var figures = NetworkFigures(path: path, peer: peer)
        if let watch {
            var probes = (try? watch.probe.collect())
                ?? NetworkProbeFigures(kernel: "host", retransmits: 0, drops: [], softirq: [], note: "the network probe could not be read")
            if let before = watch.before, let after = network?.peerCounters() {
                // What the peer received is what the environment sent, and the other way round.
                probes.bytesSent = after.received - min(before.received, after.received)
                probes.bytesReceived = after.sent - min(before.sent, after.sent)
            }
            figures.probes = probes
        }
        figures.guestProbes = result.guestNetworkProbes
        if let oncpu = result.hostView?.sched?.oncpuTotalNs, let peer {
            let n = max(peer.transactions, peer.datagrams), bytes = peer.bytesIn + peer.bytesOut
            if n > 0 { figures.vmmCpuPerTransactionNs = Double(oncpu) / Double(n) }
            if bytes > 0 { figures.vmmCpuPerMegabyteNs = Double(oncpu) / (Double(bytes) / 1e6) }
        }
        return figures
    }
}
