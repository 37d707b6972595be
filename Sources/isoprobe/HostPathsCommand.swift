import ArgumentParser
import Diagnostics
import Foundation
import Harness
import Host
import HostPaths
import IsoprobeCore
import VMEnvironment

struct HostPathsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host-paths",
        abstract: "Prove the paths users' hosts take (pure cgroup2, runc and crun there, KVM itself) inside a guest booted as a test host.",
        discussion: """
            Boots a TCG guest that sees this host's root read-only over 9p (with an overlay in \
            guest memory), mounts cgroup2 alone and loads kvm_amd on TCG's emulated AMD-V; \
            inside, this same isoprobe runs each path and reports its figures as JSON, which \
            this side judges. Exit 0 when every path is proven, 5 when one is not.
            """)

    @Option(name: .customLong("paths"),
            help: "Paths to prove, comma-separated (default all): \(HostPath.allCases.map(\.rawValue).joined(separator: ", ")).")
    var pathList: String?

    @Flag(name: .customLong("ci"), help: "The CI subset: every path but kvm-override (a second-level guest boot, most of a minute).")
    var ci = false

    @Option(name: .customLong("json"), help: "Write the document (docs/host-paths-schema.md) to this file.")
    var json: String?

    @Option(name: .customLong("kernel"), help: "Guest kernel (default: /boot's, else isoprobe's cache; `make kernel`).")
    var kernel: String?

    @Option(name: .customLong("timeout"), help: "Seconds the guest host may run in all (default 540; 110 with --ci).")
    var timeout: Double?

    @OptionGroup var resources: ResourceOptions

    @Flag(name: .customLong("inside"), help: .hidden)
    var inside = false

    @Option(name: .customLong("report-to"), help: .hidden)
    var reportTo: String?

    static func parsePaths(_ text: String) throws -> [HostPath] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { word in
            guard let path = HostPath(rawValue: String(word)) else {
                throw ValidationError("--paths: '\(word)' is not a path; expected a comma-separated list of \(HostPath.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return path
        }
    }

    /// In the order of `HostPath.allCases`, each once.
    var paths: [HostPath] {
        if let named = pathList.flatMap({ try? Self.parsePaths($0) }) { return HostPath.allCases.filter(named.contains) }
        return ci ? HostPath.ciSubset : HostPath.allCases
    }

    func validate() throws {
        if ci && pathList != nil { throw ValidationError("--ci and --paths: give one (--ci is a fixed subset)") }
        if let pathList { _ = try Self.parsePaths(pathList) }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds, e.g. 540") }
        if inside && reportTo == nil { throw ValidationError("--inside needs --report-to") }
    }

    func run() throws {
        let resources = try Resources.locate(probesDirectory: resources.probesDirectory)
        if inside {
            try runInside(probesDirectory: resources.probesDirectory)
            return
        }
        Interruption.shared.install()
        try Doctor.requireRunPrerequisites()
        guard VMEnvironment.qemuPath != nil else {
            throw IsoprobeError(.missing, "host-paths boots a guest host: it needs QEMU (qemu-system-x86_64) on PATH",
                                fix: "apt-get install -y qemu-system-x86")
        }
        let seconds = timeout ?? (ci ? 110 : 540)
        let host = GuestHost(options: .init(paths: paths, kernelPath: kernel, timeout: .milliseconds(Int64(seconds * 1000))),
                             binary: Resources.executablePath, probesDirectory: resources.probesDirectory)
        FileHandle.standardError.write(Data("isoprobe: booting a TCG guest host for \(paths.count) paths (up to \(Int(seconds)) s)\n".utf8))
        var done = 0
        let doc = try host.run { outcome in
            done += 1
            let time = outcome.seconds.map { String(format: " %.1f s", $0) } ?? ""
            FileHandle.standardError.write(Data("[\(done)/\(paths.count)] \(outcome.path.rawValue): \(outcome.proven ? "proven" : "FAILED")\(time)\n".utf8))
        }
        if let json {
            try OutputFile.write(try HostPathsDocument.encoder().encode(doc) + Data("\n".utf8), to: json)
        }
        print(HostPathsText.render(doc), terminator: "")
        try Interruption.shared.check()
        if !doc.allProven { throw ExitCode(ExitStatus.verdictFailed.rawValue) }
    }

    /// In the guest host: the paths, one JSON line each on the report port.
    func runInside(probesDirectory: String) throws {
        guard let reportTo else { return }
        let fd = open(reportTo, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw IsoprobeError(.failed, "cannot open the report port \(reportTo)", cause: ErrorWords.of(errno: errno)) }
        defer { close(fd) }
        GuestHostRunner(binary: Resources.executablePath, probesDirectory: probesDirectory, report: fd).run(paths)
    }
}
