import Foundation
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
        return entries.filter { access((directory as NSString).appendingPathComponent($0), X_OK) == 0 }.sorted()
    }

    /// argv for a spec: the fixture binary with `key=value` arguments, or the command itself.
    public func argv(for spec: WorkloadSpec) throws -> [String] {
        if let command = spec.command { return command }
        guard let directory else {
            throw IsoprobeError(.missing, "workload '\(spec.name)': fixture workloads are not built",
                                fix: "run `make workloads` (or set ISOPROBE_WORKLOADS_DIR)")
        }
        let path = (directory as NSString).appendingPathComponent(spec.name)
        guard access(path, X_OK) == 0 else {
            throw IsoprobeError(.usage, "unknown workload '\(spec.name)'",
                                fix: "known: \(names.joined(separator: ", ")); or run any command after --")
        }
        return [path] + spec.parameters.map { "\($0.key)=\($0.value)" }
    }

    /// Runs argv with stdout discarded, returning its exit status and stderr. posix_spawn,
    /// not Foundation's Process: that needs a run loop, which a guest's bare init lacks.
    static func runQuietly(_ argv: [String]) throws -> (Int32, String) {
        var err: [Int32] = [0, 0]
        guard pipe(&err) == 0 else { throw IsoprobeError(.failed, "pipe", cause: String(cString: strerror(errno))) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        posix_spawn_file_actions_addclose(&actions, err[0])
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        close(err[1])
        defer { close(err[0]) }
        guard rc == 0 else { throw IsoprobeError(.failed, "cannot run \(argv[0])", cause: String(cString: strerror(rc))) }
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(err[0], $0.baseAddress, 4096) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Runs the fixture with `--check` semantics: its own parameter validation, no work.
    /// A fixture exits 2 with one line naming the bad parameter; that line becomes the error.
    public func validate(_ spec: WorkloadSpec) throws {
        guard spec.command == nil else { return }
        let argv = try self.argv(for: spec)
        let (status, message) = try Self.runQuietly(argv + ["--validate"])
        if status != 0 {
            throw IsoprobeError(.usage, "workload '\(spec.text)': \(message.isEmpty ? "parameters refused" : message)")
        }
    }
}
