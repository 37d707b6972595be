import AgentProtocol
import Foundation
import GuestImage
import Host
import IsoprobeCore
import SystemPackage
import VM
import VMEnvironment

/// A guest that isoprobe boots as a test host: TCG with `-cpu max` (AMD-V and nested paging
/// emulated, so kvm_amd gives it a real /dev/kvm), the host's root read-only over 9p with an
/// overlay in guest memory on top (the build tree, runc, crun and QEMU as the host has them),
/// pure cgroup2 at /sys/fs/cgroup. Inside, the same isoprobe binary runs the paths
/// (`host-paths --inside`) and writes a JSON line per path on the agent port; this side reads
/// them within bounds (the guest is untrusted), judges them and builds the document.
///
/// One vCPU: nested AMD-V under TCG with two vCPUs once panicked the guest's kernel inside
/// KVM_RUN. QEMU, its work directory and the console sockets belong to the GuestMachine and
/// go with it on every path out; a signal kills QEMU at once.
public struct GuestHost {
    public struct Options: Sendable {
        public var paths: [HostPath]
        public var kernelPath: String?
        /// From starting QEMU to the guest's power-off; QEMU is then killed.
        public var timeout: Duration
        public var memoryMiB = 2560
        public var vcpus = 1

        public init(paths: [HostPath], kernelPath: String? = nil, timeout: Duration) {
            self.paths = paths
            self.kernelPath = kernelPath
            self.timeout = timeout
        }
    }

    /// A report line holds one path's figures: a few KiB. More is a guest misbehaving.
    static let maxLine = 64 << 10
    static let maxDepth = 8
    /// The guest's modules: 9p for the host root, overlay for the writable layer, kvm_amd for /dev/kvm.
    static let modules = HostShare.guestModules + ["overlay", "kvm_amd"]

    public let options: Options
    let binary: String
    let probesDirectory: String

    public init(options: Options, binary: String, probesDirectory: String) {
        self.options = options
        self.binary = binary
        self.probesDirectory = probesDirectory
    }

    /// The folders isoprobe runs from inside (the binary's build folder, the probes), which a
    /// checkout under /tmp would otherwise lose under the guest host's fresh /tmp.
    var buildTree: [String] {
        let build = ((binary as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        return [build] + [probesDirectory].filter { !$0.hasPrefix(build + "/") }
    }

    /// Boots the guest host, runs the paths, and returns the judged document; `progress`
    /// hears of each path as its report arrives.
    public func run(progress: (HostPathsDocument.Outcome) -> Void) throws -> HostPathsDocument {
        for path in [binary, probesDirectory] where path.contains(where: \.isNewline) {
            throw IsoprobeError(.usage, "\(path.debugDescription): a path with a line break cannot be passed to the guest host")
        }
        let kernel = try KernelLocator(explicitPath: options.kernelPath).locate()
        var root = try FileSet.guestRoot(workloads: [])
        try GuestModules.resolve(Self.modules, for: kernel).add(to: &root)
        let transport = AgentPort.transport(for: kernel)
        let inside = [binary, "host-paths", "--inside", "--report-to", transport.guestDevice,
                      "--probes-dir", probesDirectory, "--paths", options.paths.map(\.rawValue).joined(separator: ",")]
        var configuration = GuestBoot.Configuration(
            kernel: kernel, root: root,
            initScript: GuestInit.script(running: GuestHostScript.initCommands(command: inside, rawPort: transport == .isaSerial
                                                                                ? transport.guestDevice : nil,
                                                                                keep: buildTree)))
        // Under TCG the kernel command line keeps the TSC (tsc=reliable, QEMUCommand): without
        // it, refined-jiffies' 4 ms steps would swallow every exit-to-entry time.
        configuration.accelerator = .tcg
        configuration.vcpus = options.vcpus
        configuration.memoryMiB = options.memoryMiB
        configuration.shares = [HostShare(path: "/", tag: GuestHostScript.shareTag)]
        configuration.agentTransport = transport
        configuration.timeout = options.timeout
        VMEnvironment.pruneGuestLogs(keeping: VMEnvironment.keptGuestLogs - 1)
        let logs = VMEnvironment.logRoot + "/" + "vm-host-paths-\(Int(Date().timeIntervalSince1970))-\(getpid())"
        configuration.logDirectory = logs

        let machine = try GuestMachine(configuration)
        let token = Interruption.shared.onInterrupt { machine.kill() }
        defer {
            Interruption.shared.remove(token)
            machine.end()
        }
        PausePoint.reached(.guestBoot)
        var lines = BoundedLines(maxLine: Self.maxLine, maxLines: options.paths.count + 1)
        let heard = collect(from: machine, into: &lines, progress: progress)
        let timedOut = !machine.waitForExit(until: max(machine.started + options.timeout, .now + .seconds(2)))
        if timedOut { machine.kill() }
        machine.end()
        let total = ContinuousClock.now - machine.started
        PausePoint.reached(.results)

        var outcomes = options.paths.map { HostPathsDocument.Outcome(path: $0, report: heard.reports[$0]) }
        let why = Interruption.shared.isInterrupted ? "interrupted before the guest host reported it"
            : timedOut ? "the guest host ran past \(options.timeout) and was stopped"
            : "the guest host ended before reporting it (console: \(machine.consoleTail(lines: 3)))"
        for i in outcomes.indices where heard.reports[outcomes[i].path] == nil {
            outcomes[i].problems = [why] + heard.unreadable.prefix(3).map { "unreadable report line: \($0)" }
            if lines.overlong > 0 { outcomes[i].problems.append("\(lines.overlong) report lines over \(Self.maxLine) bytes were cut") }
        }
        return HostPathsDocument(
            isoprobeVersion: IsoprobeVersion.current, hostKernel: KernelLocator.hostRelease(),
            guestHost: .init(kernel: "\(kernel.version) (\(kernel.path))", accelerator: configuration.accelerator.rawValue,
                             vcpus: options.vcpus, memoryMiB: options.memoryMiB,
                             bootSeconds: heard.factsAt.map(Self.seconds), totalSeconds: Self.seconds(total), facts: heard.facts,
                             logDirectory: logs),
            paths: outcomes)
    }

    /// What came back on the report port.
    struct Heard {
        var facts: GuestHostFacts?
        /// From QEMU's start to the facts line.
        var factsAt: Duration?
        var reports: [HostPath: HostPathReport] = [:]
        var unreadable: [String] = []
    }

    /// Reads the report port until the guest host ends or the timeout, one bounded line at a
    /// time; the first facts line and the first report of each asked-for path count.
    func collect(from machine: GuestMachine, into lines: inout BoundedLines,
                 progress: (HostPathsDocument.Outcome) -> Void) -> Heard {
        var heard = Heard()
        guard let fd = machine.agentFD else { return heard }
        _ = GuestBoot.drain(fd, until: machine.started + options.timeout, exited: { machine.hasExited },
                            stop: { Interruption.shared.isInterrupted }) { chunk in
            for line in lines.feed(chunk) {
                switch Self.decode(line) {
                case .success(let decoded):
                    if let f = decoded.facts, heard.facts == nil {
                        heard.facts = f
                        heard.factsAt = ContinuousClock.now - machine.started
                    }
                    if let r = decoded.report, options.paths.contains(r.path), heard.reports[r.path] == nil {
                        heard.reports[r.path] = r
                        progress(HostPathsDocument.Outcome(path: r.path, report: r))
                    }
                case .failure(let why):
                    heard.unreadable.append(why.reason)
                }
            }
        }
        return heard
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Why a report line was refused.
    struct Unreadable: Error {
        var reason: String
    }

    /// One report line: bounded in depth before decoding, then decoded into fixed types.
    static func decode(_ line: Data) -> Result<GuestHostLine, Unreadable> {
        if let depth = JSONDepth.exceeded(in: line, limit: maxDepth) {
            return .failure(Unreadable(reason: "nested \(depth) deep, more than \(maxDepth)"))
        }
        do {
            return .success(try JSONDecoder().decode(GuestHostLine.self, from: line))
        } catch {
            return .failure(Unreadable(reason: printable(line.prefix(120))))
        }
    }

    /// The bytes as text with everything but printable ASCII dropped (for a message).
    static func printable(_ bytes: Data) -> String {
        String(decoding: bytes.filter { (0x20..<0x7f).contains($0) }, as: UTF8.self)
    }
}
