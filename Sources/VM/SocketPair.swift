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
            throw IsoprobeError(.failed, "socketpair", cause: ErrorWords.of(errno: errno))
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

