import Foundation
import IsoprobeCore

/// A connected unix stream socket pair: QEMU inherits `guestEnd`, isoprobe reads `hostEnd`.
/// Both close-on-exec and numbered 10 or higher, clear of the numbers QEMU is given.
final class SocketPair {
    let hostEnd: Int32
    private(set) var guestEnd: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw IsoprobeError(.failed, "socketpair", cause: String(cString: strerror(errno)))
        }
        do {
            hostEnd = try QEMUProcess.highDescriptor(fds[0])
        } catch {
            Glibc.close(fds[1])
            throw error
        }
        do {
            guestEnd = try QEMUProcess.highDescriptor(fds[1])
        } catch {
            Glibc.close(hostEnd)
            throw error
        }
    }

    func closeGuestEnd() {
        if guestEnd >= 0 { Glibc.close(guestEnd) }
        guestEnd = -1
    }

    func close() {
        closeGuestEnd()
        Glibc.close(hostEnd)
    }
}

/// Reads the console and the agent channel as they arrive, timing the console's first byte
/// and the first appearance of the marker.
struct ChannelReader {
    private let consoleFD: Int32
    private let agentFD: Int32?
    private let marker: [UInt8]?
    private let start: ContinuousClock.Instant

    private(set) var console = Data()
    private(set) var agent = Data()
    private(set) var firstByte: Duration?
    private(set) var markerSeen: Duration?
    /// The console's last bytes, so a marker split across two reads is still found.
    private var carry: [UInt8] = []

    init(console: Int32, agent: Int32?, marker: String?, start: ContinuousClock.Instant) {
        consoleFD = console
        agentFD = agent
        self.marker = marker.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        self.start = start
    }

    /// Reads until every channel reached end of file (QEMU closed them by exiting) or
    /// `exited` says QEMU is gone (what it wrote is drained first): true. False at the deadline.
    mutating func readUntilClosed(deadline: ContinuousClock.Instant, exited: () -> Bool) throws -> Bool {
        var open: [Int32] = [consoleFD] + (agentFD.map { [$0] } ?? [])
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var draining = false
        while !open.isEmpty {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero || draining else { return false }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            // Wakes now and then to notice a QEMU that exited while something it started
            // still holds a channel open.
            let milliseconds = draining ? 0 : min(Int32(clamping: remaining.components.seconds * 1000
                                                        + remaining.components.attoseconds / 1_000_000_000_000_000 + 1), 250)
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw IsoprobeError(.failed, "poll on the guest console", cause: String(cString: strerror(errno)))
            }
            if ready == 0 {
                if draining { return true }
                if exited() { draining = true }
                continue
            }
            for entry in fds where entry.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 {
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                let now = ContinuousClock.now
                if entry.fd == consoleFD {
                    consumeConsole(buffer[0..<n], at: now)
                } else if agent.count < GuestBoot.agentLimit {
                    agent.append(contentsOf: buffer[0..<min(n, GuestBoot.agentLimit - agent.count)])
                }
            }
        }
        return true
    }

    private mutating func consumeConsole(_ bytes: ArraySlice<UInt8>, at now: ContinuousClock.Instant) {
        if firstByte == nil { firstByte = now - start }
        if console.count < GuestBoot.consoleLimit {
            console.append(contentsOf: bytes.prefix(GuestBoot.consoleLimit - console.count))
        }
        guard let marker, markerSeen == nil else { return }
        let window = carry + bytes
        if Self.contains(window, marker) {
            markerSeen = now - start
        } else {
            carry = Array(window.suffix(marker.count - 1))
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { ByteSearch.firstOffset(of: needle, in: $0) != nil }
    }
}
