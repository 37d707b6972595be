import Environments
import Foundation
import Host
import IsoprobeCore

/// The host's canaries: `boundaries plant` run natively as a plain child, with a secret
/// file outside every guest's root. `stop()` ends it and removes all it planted, also
/// what a killed planter could not (its shm segment, its files).
final class HostCanary {
    let canary: CanaryIdentities.Canary
    let file: String
    private(set) var pid: pid_t = 0
    private var interruptToken: Int?
    /// The planter and its shm segment, until `stop()`.
    private var ledger: [ResourceLedger.Token] = []

    /// Starts the planter and waits (at most `timeout`) for its ready line; with
    /// `bridgeAddress` its listener is on the host's address on verify's bridge too.
    init(checker: String, canary: CanaryIdentities.Canary, directory: String, bridgeAddress: String? = nil,
         timeout: TimeInterval = 10) throws {
        self.canary = canary
        file = (directory as NSString).appendingPathComponent("host-secret-\(canary.tag)")
        let out = try HelperCommand.pipe()
        let devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { Glibc.close(devnull); Glibc.close(out.read) }
        do {
            pid = try HelperCommand.spawn([checker, "plant"] + canary.plantArguments(file: file,
                                                                                      bridge: bridgeAddress.map { ["net_addr=\($0)"] } ?? []),
                                          stdoutFD: out.write, stderrFD: devnull)
        } catch {
            Glibc.close(out.write)
            throw error
        }
        Glibc.close(out.write)
        ledger = [ResourceLedger.shared.record(.sharedMemory(key: canary.shmKey)),
                  ProcFS.stat(of: pid).map { ResourceLedger.shared.record(.process(pid: pid, startTime: $0.starttime)) }]
            .compactMap { $0 }
        interruptToken = Interruption.shared.onInterrupt { [pid] in kill(pid, SIGKILL) }
        let line = Self.readLine(out.read, timeout: timeout)
        guard line.hasPrefix("isoprobe-canary ready tag=\(canary.tag)") else {
            stop()
            throw IsoprobeError(.failed, "the host's canary did not report ready within \(Int(timeout)) s",
                                cause: line.isEmpty ? "no output" : line)
        }
    }

    /// The first line on fd, or what came before the deadline.
    static func readLine(_ fd: Int32, timeout: TimeInterval) -> String {
        var data = Data()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 256)
        while Date() < deadline, !data.contains(10) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&p, 1, min(wait, 200)) >= 0 || errno == EINTR else { break }
            if Interruption.shared.isInterrupted { break }
            guard p.revents != 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: data, as: UTF8.self)
        return String(text.split(separator: "\n").first ?? "")
    }

    /// SIGTERM (the planter removes what it made), SIGKILL after a grace period, then
    /// whatever it left.
    func stop() {
        if let token = interruptToken { Interruption.shared.remove(token) }
        interruptToken = nil
        if pid > 0 {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            let deadline = Date().addingTimeInterval(2)
            while waitpid(pid, &status, WNOHANG) == 0 {
                if Date() > deadline { kill(pid, SIGKILL) }
                usleep(10_000)
            }
            pid = 0
        }
        let id = shmget(key_t(canary.shmKey), 0, 0)
        if id >= 0 { shmctl(id, IPC_RMID, nil) }
        unlink(file)
        for token in ledger { ResourceLedger.shared.release(token) }
        ledger = []
    }
}
