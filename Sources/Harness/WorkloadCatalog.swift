import Environments
import Foundation
import Host
import IsoprobeCore

/// The fixture workloads that were built (one static binary each), and how a spec
/// becomes an argv.
public struct WorkloadCatalog: Sendable {
    public let directory: String?

    public init(directory: String?) {
        self.directory = directory
    }

    public var names: [String] {
        guard let directory, let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        // The network workloads' server runs in the peer, never as a workload; the field's
        // tools are workloads without a fixture of their own.
        return (entries.filter { $0 != PeerServer.binaryName && access((directory as NSString).appendingPathComponent($0), X_OK) == 0 }
            + ToolWorkload.allCases.map(\.rawValue)).sorted()
    }

    /// argv for a spec: the fixture binary with `key=value` arguments, or the command itself.
    public func argv(for spec: WorkloadSpec) throws -> [String] {
        if let command = spec.command { return command }
        if let tool = ToolWorkload(spec: spec) {
            return [HostTool.find(tool.executable) ?? tool.executable]
                + (try tool.clientArguments(spec, peer: NetworkWorkload.defaultPeer))
        }
        if FioJob.isFio(spec) { return try Self.fioArgv(spec) }
        guard let directory else {
            throw IsoprobeError(.missing, "workload '\(spec.name)': fixture workloads are not built",
                                fix: "run `make workloads` (or set ISOPROBE_WORKLOADS_DIR)")
        }
        let path = (directory as NSString).appendingPathComponent(spec.name)
        guard spec.name != PeerServer.binaryName, access(path, X_OK) == 0 else {
            throw IsoprobeError(.usage, "unknown workload '\(spec.name)'",
                                fix: "known: \(names.joined(separator: ", ")); or run any command after --")
        }
        return [path] + spec.parameters.map { "\($0.key)=\($0.value)" }
    }

    /// Runs the fixture with `--check` semantics: its own parameter validation, no work.
    /// A fixture exits 2 with one line naming the bad parameter; that line becomes the error.
    public func validate(_ spec: WorkloadSpec) throws {
        guard spec.command == nil else { return }
        if let tool = ToolWorkload(spec: spec) {
            _ = try tool.values(of: spec)
            return
        }
        if FioJob.isFio(spec) { return _ = try Self.fioArgv(spec) }
        let argv = try self.argv(for: spec)
        let result = try HelperCommand.run(argv + ["--validate"])
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if !result.succeeded {
            throw IsoprobeError(.usage, "workload '\(spec.text)': \(message.isEmpty ? "parameters refused" : message)")
        }
    }

    /// fio:job=FILE: the job checked and turned into one shell command (see FioJob).
    static func fioArgv(_ spec: WorkloadSpec) throws -> [String] {
        let job = try FioJob.load(spec)
        guard HostTool.find("fio") != nil else {
            throw IsoprobeError(.missing, "workload '\(spec.text)': fio is not installed", fix: "apt-get install -y fio (or `make deps`)")
        }
        return ["/bin/sh", "-c", job.script()]
    }
}
