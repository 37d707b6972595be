import Environments
import Foundation
import Host
import IsoprobeCore

/// A plan with network workloads gets one network (`TestNetwork`) for all its environments,
/// made before their first run and removed with them; each run of a network workload gets
/// its own server in the peer, started before it and stopped after it.
extension Runner {
    /// Makes the network and attaches every environment of the plan, when the plan has
    /// network workloads.
    func connectNetwork(for request: RunRequest) throws {
        let networked = request.items.filter { NetworkWorkload(spec: $0.spec) != nil }
        guard network == nil, !networked.isEmpty else { return }
        let made = try TestNetwork.create()
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
        return try PeerServer(binary: (directory as NSString).appendingPathComponent(PeerServer.binaryName), network: network)
    }

    /// The run's path and the server's account (the server stops here).
    func networkFigures(in environment: Environment, server: PeerServer) -> NetworkFigures? {
        let peer = server.stop()
        guard let path = (environment as? NetworkAttachable)?.networkPath else { return nil }
        return NetworkFigures(path: path, peer: peer)
    }
}
