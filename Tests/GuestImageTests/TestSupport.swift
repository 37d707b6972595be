import Foundation
import Testing

/// What the environment offers these tests. Root-only tests carry
/// `.enabled(if: TestSupport.isRoot || TestSupport.inCI, ...)`: skipped with a one-line reason on
/// a developer machine, run (and failing on `requireRoot`) in CI, where a skip would hide them.
enum TestSupport {
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    static var isRoot: Bool { geteuid() == 0 }

    static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var builtAgent: String { repositoryRoot + "/build/bin/isoprobe" }
    static var builtProbes: String { repositoryRoot + "/build/probes" }
    static var builtGetpid: String { repositoryRoot + "/build/workloads/getpid" }
    static var buildArtifactsPresent: Bool {
        [builtAgent, builtGetpid].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func requireRoot(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(isRoot, "not running as root (euid \(geteuid())): chroot needs root; run `sudo swift test ...`",
                     sourceLocation: sourceLocation)
    }

    static func requireTool(_ name: String, package: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(which(name), "\(name) not found: apt-get install -y \(package)", sourceLocation: sourceLocation)
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            let candidate = directory + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A fresh directory, removed by `remove`.
    static func temporaryDirectory(_ stem: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let path = "\(base)/guestimage-test-\(stem)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Also clears modes such as 0555 a materialized tree may hold, which would stop the removal.
    static func remove(_ path: String) {
        _ = try? run("/bin/chmod", ["-R", "u+rwx", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutData: Data
    }

    /// Runs to completion with stdin from `input` (or /dev/null).
    static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input.map { FileHandle(forReadingAtPath: $0) ?? .nullDevice } ?? .nullDevice
        try process.run()
        // Drained concurrently so a full stderr pipe cannot block the child.
        let errData = Locked(Data())
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errData.set(err.fileHandleForReading.readDataToEndOfFile())
            drained.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.get(), as: UTF8.self), stdoutData: outData)
    }

    /// Compiles C with gcc; `extra` goes after the source (libraries, -Wl options).
    static func compile(_ source: String, to output: String, _ extra: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let gcc = try requireTool("gcc", package: "gcc libc6-dev", sourceLocation: sourceLocation)
        let file = output + ".c"
        try source.write(toFile: file, atomically: false, encoding: .utf8)
        let result = try run(gcc, ["-O1", "-o", output, file] + extra)
        try #require(result.status == 0, "gcc failed: \(result.stderr)", sourceLocation: sourceLocation)
    }
}

final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
}
