import Foundation
import GuestImage
import Host
import IsoprobeCore
import SystemPackage

/// Boots one guest to its end (a `GuestMachine` run until QEMU exits or the timeout
/// passes) and returns what the guest printed with timings. The QEMU process group is
/// killed and reaped, and every temporary file removed, on success, failure and timeout;
/// only the logs, and only when `logDirectory` is set, remain.
public struct GuestBoot: Sendable {
    public struct Configuration: Sendable {
        public var kernel: GuestKernel
        /// The guest root without /init (`FileSet.guestRoot(...)`).
        public var root: FileSet
        /// The whole /init, a busybox sh script (`GuestInit.script(running:)`).
        public var initScript: String
        public var accelerator: Accelerator = .tcg
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
        /// Host folders the guest can mount over 9p.
        public var shares: [HostShare] = []
        /// A virtio-net card on a tap; nil: no network card.
        public var network: GuestNetworkCard?
        /// A storage workload's backing file, opened by QEMU as a raw virtio-blk disk; nil: none.
        public var blockFile: String?

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

    /// The console kept in memory (its newest part), for errors and the boot marker.
    public static let consoleLimit = 8 << 20
    /// The console written to the guest's log on disk; what follows is dropped.
    public static let consoleLogLimit = 32 << 20
    public static let agentLimit = 64 << 20

    /// Boots the guest and waits for its end (or the timeout), collecting the agent channel.
    public func run() throws -> Outcome {
        let machine = try GuestMachine(configuration)
        defer { machine.end() }
        let deadline = machine.started + configuration.timeout
        var agentOutput = Data()
        var finished = true
        if let fd = machine.agentFD {
            finished = Self.collect(fd, into: &agentOutput, until: deadline) { machine.hasExited }
        }
        let end: Outcome.End
        if finished, machine.waitForExit(until: max(deadline, .now + .seconds(1))) {
            let status = machine.exitStatus ?? -1
            end = Self.exitStatusIsSignal(status) ? .signaled(status & 0x7F) : .exited(status: (status >> 8) & 0xFF)
        } else {
            machine.kill()
            end = .timedOut(after: configuration.timeout)
        }
        machine.end()
        let exitTime = ContinuousClock.now - machine.started
        let consoleText = machine.consoleText
        return Outcome(
            end: end, console: consoleText,
            markerLine: configuration.marker.flatMap { marker in
                consoleText.split(separator: "\n").first { $0.contains(marker) }.map(String.init)
            },
            agentOutput: agentOutput, qemuLog: machine.qemuLog,
            timings: Timings(initramfs: machine.initramfsTime, toFirstConsoleByte: machine.timeToFirstConsoleByte,
                             toMarker: machine.timeToMarker, toExit: exitTime),
            argv: machine.argv, qemuProcessID: machine.pid, initramfsBytes: machine.initramfsBytes,
            workDirectory: machine.workDirectory)
    }

    /// Reads fd until end of file or until `exited` says QEMU is gone (what it wrote is
    /// drained first): true. False at the deadline. Keeps at most `agentLimit` bytes.
    static func collect(_ fd: Int32, into out: inout Data, until deadline: ContinuousClock.Instant,
                        exited: () -> Bool) -> Bool {
        drain(fd, until: deadline, exited: exited) { chunk in
            if out.count < agentLimit { out.append(chunk.prefix(agentLimit - out.count)) }
        }
    }

    /// Reads fd until end of file, an error, `stop`, or `exited` saying QEMU is gone (what it
    /// wrote drained first): true. False at the deadline. Each chunk goes to `take`.
    public static func drain(_ fd: Int32, until deadline: ContinuousClock.Instant, exited: () -> Bool,
                             stop: () -> Bool = { false }, take: (Data) -> Void) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var draining = false
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero || draining else { return false }
            if stop() { return true }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = retryingOnInterrupt { poll(&p, 1, draining ? 0 : 250) }
            if ready < 0 { return true }
            if ready == 0 {
                if draining { return true }
                if exited() { draining = true }
                continue
            }
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: $0) }
            } catch Errno.wouldBlock {
                continue
            } catch {
                return true
            }
            if n == 0 { return true }
            take(Data(buffer[0..<n]))
        }
    }

    static func exitStatusIsSignal(_ status: Int32) -> Bool {
        (status & 0x7F) != 0 && (status & 0x7F) != 0x7F
    }
}
