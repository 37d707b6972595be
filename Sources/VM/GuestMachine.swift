import Foundation
import Host
import GuestImage
import IsoprobeCore
import SystemPackage

/// One running guest, from QEMU's start to its end, and the only owner of it: the work
/// directory (initramfs, scratch disk), QEMU's process group, the console, agent and
/// monitor sockets. A thread drains the console as it arrives (bounded), so a guest that
/// prints never blocks on it; the agent channel is the caller's to read and write.
/// `end()` kills and reaps QEMU if it still runs and removes the work directory; it runs on
/// every path out, and `kill()` may be called from any thread (a signal handler's queue).
public final class GuestMachine: @unchecked Sendable {
    public let configuration: GuestBoot.Configuration
    public let argv: [String]
    public let workDirectory: String
    private let ownedWork: OwnedDirectory
    public let initramfsBytes: Int
    public let initramfsTime: Duration
    public let started: ContinuousClock.Instant
    public var pid: pid_t { qemu.pid }
    /// The host end of the agent channel (nil without one).
    public var agentFD: Int32? { agent?.hostEnd }

    private let qemu: QEMUProcess
    private let console: SocketPair
    private let agent: SocketPair?
    private let monitorPair: SocketPair?
    private var monitor: QMPMonitor?
    private let qemuLogPath: String
    private let consoleLogFD: Int32
    private let lock = NSCondition()
    private var consoleBytes = Data()
    private var consoleClosed = false
    private var firstByte: Duration?
    private var markerSeen: Duration?
    private var ended = false

    /// Writes the initramfs and starts QEMU. QEMU sees the console as fd 3, the agent
    /// channel as fd 4 and, with `monitor`, a QMP monitor as fd 5.
    public init(_ configuration: GuestBoot.Configuration, monitor wantsMonitor: Bool = false) throws {
        self.configuration = configuration
        let owned = try OwnedDirectory(in: configuration.temporaryDirectory, prefix: "isoprobe-vm",
                                       what: "a guest's work directory")
        let work = owned.path
        var cleanup = true
        defer { if cleanup { owned.remove() } }

        var root = configuration.root
        try root.addFile(at: "/init", contents: configuration.initScript, mode: 0o755)
        let initramfs = work + "/initramfs.cpio"
        let buildStart = ContinuousClock.now
        // Uncompressed: under TCG the guest unpacks a plain cpio at about 5 ms per MB and
        // inflates gzip at about 25 ms per compressed MB, so compressing never pays.
        try root.writeCpioNewc(to: initramfs)
        initramfsTime = ContinuousClock.now - buildStart
        initramfsBytes = (try? FileManager.default.attributesOfItem(atPath: initramfs)[.size] as? Int) ?? 0
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
        qemuLogPath = logs + "/qemu.log"
        let logFD = open(qemuLogPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw IsoprobeError(.failed, "cannot create \(qemuLogPath)", cause: ErrorWords.of(errno: errno)) }
        defer { close(logFD) }

        // The console's log is written here, not by QEMU, so a guest that prints without end
        // fills at most `GuestBoot.consoleLogLimit` of the host's disk.
        consoleLogFD = open(logs + "/console.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        console = try SocketPair()
        agent = try configuration.agentTransport.map { _ in try SocketPair() }
        monitorPair = wantsMonitor ? try SocketPair() : nil
        var command = QEMUCommand(
            executable: configuration.qemu, accelerator: configuration.accelerator,
            vcpus: configuration.vcpus, memoryMiB: configuration.memoryMiB, kernel: configuration.kernel,
            initramfs: initramfs, kernelArguments: configuration.kernelArguments, tscKHz: configuration.tscKHz,
            console: .inheritedSocket(fd: 3),
            agent: configuration.agentTransport.map { AgentPort(transport: $0, endpoint: .inheritedSocket(fd: 4)) })
        if monitorPair != nil { command.monitor = .inheritedSocket(fd: 5) }
        command.shares = configuration.shares
        command.network = configuration.network
        if let mib = configuration.scratchDiskMiB {
            command.disks = [try ScratchDisk.make(at: work + "/scratch.img", mib: mib)]
        }
        command.blockDrive = configuration.blockFile.map { QEMUBlockDrive(file: $0, accelerator: configuration.accelerator) }
        try command.validate()
        argv = command.argv
        var inherited = [(source: console.guestEnd, target: Int32(3))]
        if let agent { inherited.append((source: agent.guestEnd, target: 4)) }
        if let monitorPair { inherited.append((source: monitorPair.guestEnd, target: 5)) }
        if let card = configuration.network { inherited.append((source: card.tapFD, target: GuestNetworkCard.qemuDescriptor)) }

        started = ContinuousClock.now
        qemu = try QEMUProcess(argv: command.argv, logFD: logFD, inherited: inherited,
                               cgroupProcs: configuration.cgroupProcs)
        // Only QEMU holds the guest ends now: its exit is the host ends' end of file.
        console.closeGuestEnd()
        agent?.closeGuestEnd()
        monitorPair?.closeGuestEnd()
        workDirectory = work
        ownedWork = owned
        cleanup = false
        let thread = Thread { [self] in drainConsole() }
        thread.start()
    }

    deinit { end() }

    // MARK: - Console

    /// The console so far, "\r\n" made "\n" (the last `GuestBoot.consoleLimit` bytes).
    public var consoleText: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: consoleBytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    public var timeToFirstConsoleByte: Duration? { lock.withLock { firstByte } }
    public var timeToMarker: Duration? { lock.withLock { markerSeen } }

    /// The console's last lines, for an error message.
    public func consoleTail(lines: Int = 5) -> String {
        consoleText.split(separator: "\n").suffix(lines).joined(separator: " | ")
    }

    /// Until the marker appears on the console: true; false when the console closed (QEMU
    /// exited), the deadline passed or `stop` said so (checked every 250 ms).
    public func waitForMarker(until deadline: ContinuousClock.Instant, stop: () -> Bool = { false }) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while markerSeen == nil && !consoleClosed && ContinuousClock.now < deadline && !stop() {
            _ = lock.wait(until: Date().addingTimeInterval(0.25))
        }
        return markerSeen != nil
    }

    /// Until the console reaches end of file (QEMU and everything it started are gone).
    func waitForConsoleEnd(until deadline: ContinuousClock.Instant) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while !consoleClosed && ContinuousClock.now < deadline {
            _ = lock.wait(until: Date().addingTimeInterval(0.05))
        }
        return consoleClosed
    }

    private func drainConsole() {
        let marker = configuration.marker.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var carry: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        // What the log may still take; nil once it has stopped, its note written.
        var logRoom: Int? = GuestBoot.consoleLogLimit
        defer { if consoleLogFD >= 0 { close(consoleLogFD) } }
        while true {
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: console.hostEnd).read(into: $0) }
            } catch Errno.resourceTemporarilyUnavailable {
                continue
            } catch {
                n = -1
            }
            if n > 0 && consoleLogFD >= 0, let room = logRoom {
                let kept = min(n, room)
                var chunk = Data(buffer[0..<kept])
                logRoom = room - kept
                if kept < n {
                    chunk += Data("\n[isoprobe: the console log stops here, at \(GuestBoot.consoleLogLimit >> 20) MiB]\n".utf8)
                    logRoom = nil
                }
                _ = try? FileDescriptor(rawValue: consoleLogFD).writeAll(chunk)
            }
            lock.lock()
            if n <= 0 {
                consoleClosed = true
                lock.broadcast()
                lock.unlock()
                return
            }
            let now = ContinuousClock.now - started
            if firstByte == nil { firstByte = now }
            consoleBytes.append(contentsOf: buffer[0..<n])
            // A long-lived guest keeps the newest part; the log file has everything.
            if consoleBytes.count > GuestBoot.consoleLimit { consoleBytes.removeFirst(consoleBytes.count - GuestBoot.consoleLimit / 2) }
            if let marker, markerSeen == nil {
                let window = carry + buffer[0..<n]
                if window.withUnsafeBytes({ ByteSearch.firstOffset(of: marker, in: $0) != nil }) {
                    markerSeen = now
                    lock.broadcast()
                } else {
                    carry = Array(window.suffix(marker.count - 1))
                }
            }
            lock.unlock()
        }
    }

    // MARK: - Pausing

    /// Stops the guest's vCPUs (QMP `stop`): an idle guest takes no CPU from other runs.
    public func pause() throws { try monitorCommand("stop") }

    /// Lets the vCPUs run again (QMP `cont`).
    public func resume() throws { try monitorCommand("cont") }

    /// Whether the vCPUs run, as QEMU says (QMP `query-status`): true running, false paused.
    public func isRunning() throws -> Bool {
        try monitorCommand("query-status").contains("\"running\": true")
    }

    @discardableResult
    private func monitorCommand(_ command: String) throws -> String {
        guard let pair = monitorPair else {
            throw IsoprobeError(.failed, "the guest was started without a monitor")
        }
        if monitor == nil { monitor = try QMPMonitor(fd: pair.hostEnd) }
        return try monitor!.execute(command)
    }

    // MARK: - Ending

    /// Whether QEMU has exited (reaped now if so).
    public var hasExited: Bool { qemu.reap(before: .now) }

    /// QEMU's wait status once reaped.
    public var exitStatus: Int32? { qemu.status }

    /// Waits for QEMU to exit by itself until `deadline`; true once reaped.
    public func waitForExit(until deadline: ContinuousClock.Instant) -> Bool {
        qemu.reap(before: deadline)
    }

    /// SIGKILL to QEMU's whole group, from any thread; `end()` still reaps it.
    public func kill() { qemu.kill() }

    /// What QEMU itself printed (its errors); kept when `end()` removes the work directory.
    public var qemuLog: String {
        lock.withLock { keptQEMULog } ?? (try? String(contentsOfFile: qemuLogPath, encoding: .utf8)) ?? ""
    }
    private var keptQEMULog: String?

    /// Kills and reaps QEMU if it still runs, closes every socket and removes the work
    /// directory. Idempotent.
    public func end() {
        lock.lock()
        let already = ended
        ended = true
        lock.unlock()
        guard !already else { return }
        qemu.end()
        _ = waitForConsoleEnd(until: .now + .seconds(2))
        console.close()
        agent?.close()
        monitorPair?.close()
        let log = qemuLog
        lock.withLock { keptQEMULog = log }
        ownedWork.remove()
    }
}

/// QEMU's machine protocol over the monitor socket: the greeting, `qmp_capabilities`, then
/// one command at a time, each answered by a `return` or an `error` line (events between
/// are skipped). Lines are bounded: QEMU is ours, but a stuck monitor must not stall a run.
final class QMPMonitor {
    private let fd: Int32
    private var pending = [UInt8]()
    static let maxLine = 1 << 16
    static let timeout: Duration = .seconds(10)

    init(fd: Int32) throws {
        self.fd = fd
        _ = try readLine()  // {"QMP": {...}}
        try execute("qmp_capabilities")
    }

    /// Runs `command` and returns QEMU's `return` line.
    @discardableResult
    func execute(_ command: String) throws -> String {
        let line = Array("{\"execute\":\"\(command)\"}\n".utf8)
        // The monitor is a socket: MSG_NOSIGNAL makes a QEMU that went away an error, not a SIGPIPE.
        let written = line.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written == line.count else {
            throw IsoprobeError(.failed, "cannot send \(command) to the guest's monitor", cause: ErrorWords.of(errno: errno))
        }
        while true {
            let reply = try readLine()
            if reply.contains("\"return\"") { return reply }
            if reply.contains("\"error\"") {
                throw IsoprobeError(.failed, "the guest's monitor refused \(command)", cause: reply)
            }
        }
    }

    private func readLine() throws -> String {
        let deadline = ContinuousClock.now + Self.timeout
        while true {
            if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                return line
            }
            guard pending.count < Self.maxLine else {
                throw IsoprobeError(.failed, "the guest's monitor sent a line over \(Self.maxLine) bytes")
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw IsoprobeError(.failed, "the guest's monitor did not answer within 10 s") }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            // EINTR comes back here as not ready: the deadline is checked again.
            guard poll(&p, 1, Int32(clamping: left.components.seconds * 1000 + 1)) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = (try? buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: $0) }) ?? 0
            guard n > 0 else { throw IsoprobeError(.failed, "the guest's monitor closed (QEMU exited)") }
            pending += buffer[0..<n]
        }
    }
}
