import Foundation
import Testing

/// Every saved input of every fuzz target replayed through it as the normal build makes it
/// (`FuzzReplay.main`): the seeds in fixtures/fuzz/<target>, and in regressions/ the inputs
/// that once crashed it. None may crash, break a target's promise or hang; a crash found by
/// `make fuzz` and fixed stays fixed.
@Suite struct FuzzReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The build's products folder, where this test binary is too.
    static let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().path

    @Test(arguments: [("suite", "FuzzSuite"), ("oci-config", "FuzzOCIConfig"), ("workload-spec", "FuzzWorkloadSpec"),
                      ("agent-frames", "FuzzAgentFrames"), ("agent-message", "FuzzAgentMessage")])
    func savedInputsReplay(_ target: String, _ product: String) throws {
        let executable = Self.products + "/" + product
        try #require(FileManager.default.isExecutableFile(atPath: executable),
                     "\(executable) is missing: `swift build --build-tests` builds the fuzz targets too")
        let corpus = Self.root + "/fixtures/fuzz/" + target
        let inputs = (FileManager.default.enumerator(atPath: corpus)?.compactMap { $0 as? String } ?? []).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: corpus + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        try #require(!inputs.isEmpty, "no saved inputs in \(corpus)")

        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-replay-\(target)-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: output) }
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [corpus]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()

        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let last = text.split(separator: "\n").last { $0.hasPrefix("replaying ") }.map(String.init) ?? "(none)"
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                "\(product) failed on the input it was replaying: \(last)\n\(text.suffix(1500))")
        #expect(text.contains("\(inputs.count) inputs replayed"), "\(text.suffix(500))")
    }
}
