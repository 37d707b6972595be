import Foundation
import GuestImage
import IsoprobeCore

/// Boots one guest to its end: writes the initramfs (the file set plus a generated /init),
/// starts QEMU, reads the console (and the agent channel) until QEMU exits or the timeout
/// passes, and returns what the guest printed with timings. The QEMU process group is
/// killed and reaped, and every temporary file removed, on success, failure and timeout;
/// only the logs, and only when `logDirectory` is set, remain.
public struct GuestBoot: Sendable {
    public struct Configuration: Sendable {
        public var kernel: GuestKernel
        /// The guest root without /init (`FileSet.guestRoot(...)`).
        public var root: FileSet
        /// The whole /init, a busybox sh script (`GuestInit.script(running:)`).
        public var initScript: String
        public var accelerator: QEMUCommand.Accelerator = .tcg
        public var vcpus = 1
        public var memoryMiB = 256
        public var kernelArguments: [String] = []
        public var tscKHz: Int? = HostTSC.find()?.kHz
        /// A line part the console is watched for (its first appearance is timed).
        public var marker: String?
        /// From spawn; QEMU is then killed.
        public var timeout: Duration = .seconds(30)
        /// An agent channel read alongside the console, into `Outcome.agentOutput`.
        public var agentTransport: AgentPort.Transport?
        public var qemu = QEMUCommand.defaultExecutable
        /// A cgroup2 directory's cgroup.procs: QEMU runs there (for host-side probes).
        public var cgroupProcs: String?
        /// Where to keep console.log and qemu.log; nil keeps nothing.
        public var logDirectory: String?
        /// Where the working directory (initramfs, logs) is made.
        public var temporaryDirectory = TemporaryDirectory.base
        /// A fresh ext4 disk of this many MiB as /dev/vda (sparse, made in the work directory
        /// with mkfs.ext4, gone with it); nil: none.
        public var scratchDiskMiB: Int?

        public init(kernel: GuestKernel, root: FileSet, initScript: String) {
            self.kernel = kernel
            self.root = root
            self.initScript = initScript
        }
    }

    public struct Timings: Equatable, Sendable {
        /// Writing the initramfs, before QEMU starts.
        public var initramfs: Duration
        /// From spawning QEMU to the first byte on the console.
        public var toFirstConsoleByte: Duration?
        /// From spawning QEMU to the marker.
        public var toMarker: Duration?
        /// From spawning QEMU to reaping it.
        public var toExit: Duration
    }

    public struct Outcome: Sendable {
        public enum End: Equatable, Sendable {
            /// QEMU ended by itself: the guest powered off, rebooted or panicked (0), or QEMU failed.
            case exited(status: Int32)
            /// QEMU died of a signal isoprobe did not send.
            case signaled(Int32)
            /// Still running at the timeout, so killed.
            case timedOut(after: Duration)
        }

        public var end: End
        /// Everything on ttyS0, "\r\n" made "\n".
        public var console: String
        /// The console line holding the marker.
        public var markerLine: String?
        public var agentOutput: Data
        /// What QEMU itself printed (its errors).
        public var qemuLog: String
        public var timings: Timings
        public var argv: [String]
        /// Gone by the time `run` returns: reaped, with its process group killed.
        public var qemuProcessID: pid_t
        public var initramfsBytes: Int
        /// Removed by the time `run` returns.
        public var workDirectory: String

        public var guestPanicked: Bool { console.contains("Kernel panic - not syncing") }
        /// The guest ran to its power-off with no panic.
        public var poweredOff: Bool { end == .exited(status: 0) && !guestPanicked }
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    public static let consoleLimit = 8 << 20
    public static let agentLimit = 64 << 20

    public func run() throws -> Outcome {
        let work = try Self.makeWorkDirectory(in: configuration.temporaryDirectory)
        defer { try? FileManager.default.removeItem(atPath: work) }

        var root = configuration.root
        try root.addFile(at: "/init", contents: configuration.initScript, mode: 0o755)
        let initramfs = work + "/initramfs.cpio"
        let buildStart = ContinuousClock.now
        // Uncompressed: under TCG the guest unpacks a plain cpio at about 5 ms per MB and
        // inflates gzip at about 25 ms per compressed MB, so compressing never pays.
        try root.writeCpioNewc(to: initramfs)
        let initramfsTime = ContinuousClock.now - buildStart
        let initramfsBytes = (try? FileManager.default.attributesOfItem(atPath: initramfs)[.size] as? Int) ?? 0
        // QEMU loads the initramfs below the top of guest RAM and refuses one that does not
        // fit; the guest then needs as much again to unpack it.
        guard initramfsBytes < configuration.memoryMiB << 20 else {
            throw IsoprobeError(.usage, "the guest root is \(initramfsBytes >> 20) MiB, more than the guest's "
                                + "\(configuration.memoryMiB) MiB of memory can load",
                                fix: "give the guest at least \(2 * (initramfsBytes >> 20) + 128) MiB")
        }

        let logs = configuration.logDirectory ?? work
        if let kept = configuration.logDirectory {
            try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
        }
        let qemuLogPath = logs + "/qemu.log"
        let logFD = open(qemuLogPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw IsoprobeError(.failed, "cannot create \(qemuLogPath)", cause: String(cString: strerror(errno))) }
        defer { close(logFD) }

        let console = try SocketPair()
        defer { console.close() }
        let agent = try configuration.agentTransport.map { _ in try SocketPair() }
        defer { agent?.close() }

        // QEMU sees the console as fd 3 and the agent channel as fd 4.
        var command = QEMUCommand(
            executable: configuration.qemu, accelerator: configuration.accelerator,
            vcpus: configuration.vcpus, memoryMiB: configuration.memoryMiB, kernel: configuration.kernel,
            initramfs: initramfs, kernelArguments: configuration.kernelArguments, tscKHz: configuration.tscKHz,
            console: .inheritedSocket(fd: 3), consoleLog: logs + "/console.log",
            agent: configuration.agentTransport.map { AgentPort(transport: $0, endpoint: .inheritedSocket(fd: 4)) })
        if let mib = configuration.scratchDiskMiB {
            command.disks = [try ScratchDisk.make(at: work + "/scratch.img", mib: mib)]
        }
        try command.validate()
        var inherited = [(source: console.guestEnd, target: Int32(3))]
        if let agent { inherited.append((source: agent.guestEnd, target: 4)) }

        let start = ContinuousClock.now
        let qemu = try QEMUProcess(argv: command.argv, logFD: logFD, inherited: inherited,
                                   cgroupProcs: configuration.cgroupProcs)
        defer { qemu.end() }
        // Only QEMU holds the guest ends now: its exit is the host ends' end of file.
        console.closeGuestEnd()
        agent?.closeGuestEnd()

        var reader = ChannelReader(console: console.hostEnd, agent: agent?.hostEnd,
                                   marker: configuration.marker, start: start)
        let deadline = start + configuration.timeout
        let finished = try reader.readUntilClosed(deadline: deadline) { qemu.reap(before: .now) }
        let end: Outcome.End
        if finished, qemu.reap(before: max(deadline, .now + .seconds(1))) {
            let status = qemu.status ?? -1
            end = Self.exitStatusIsSignal(status) ? .signaled(status & 0x7F) : .exited(status: (status >> 8) & 0xFF)
        } else {
            qemu.end()
            end = .timedOut(after: configuration.timeout)
        }
        let exitTime = ContinuousClock.now - start

        let consoleText = String(decoding: reader.console, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        return Outcome(
            end: end, console: consoleText,
            markerLine: configuration.marker.flatMap { marker in
                consoleText.split(separator: "\n").first { $0.contains(marker) }.map(String.init)
            },
            agentOutput: reader.agent, qemuLog: (try? String(contentsOfFile: qemuLogPath, encoding: .utf8)) ?? "",
            timings: Timings(initramfs: initramfsTime, toFirstConsoleByte: reader.firstByte,
                             toMarker: reader.markerSeen, toExit: exitTime),
            argv: command.argv, qemuProcessID: qemu.pid, initramfsBytes: initramfsBytes, workDirectory: work)
    }

    static func exitStatusIsSignal(_ status: Int32) -> Bool {
        (status & 0x7F) != 0 && (status & 0x7F) != 0x7F
    }

    static func makeWorkDirectory(in base: String) throws -> String {
        guard let made = TemporaryDirectory.make(in: base, prefix: "isoprobe-vm") else {
            throw IsoprobeError(.failed, "cannot create a directory in \(base)", cause: String(cString: strerror(errno)))
        }
        return made
    }
}
