import Foundation
import Host
import IsoprobeCore

/// One running QEMU, leader of its own process group, and the only owner of it: `kill`
/// ends the whole group, `reap` collects the exit status. Nothing here outlives the boot
/// that started it: GuestBoot kills and reaps on every path out.
final class QEMUProcess {
    let pid: pid_t
    private(set) var status: Int32?
    private var ledgerToken: ResourceLedger.Token?

    /// Starts argv with stdin from /dev/null, stdout and stderr to `logFD`, and each
    /// `inherited` descriptor (source, number QEMU sees) open; every other descriptor is
    /// closed. Signals start at their defaults, unblocked.
    ///
    /// With `cgroupProcs` (a cgroup's cgroup.procs file) QEMU starts inside that cgroup from
    /// its first instruction: a shell moves itself there and then execs QEMU, so host-side
    /// probes filtering on the cgroup see all of the VMM.
    init(argv: [String], logFD: Int32, inherited: [(source: Int32, target: Int32)], cgroupProcs: String? = nil) throws {
        guard let qemuPath = HostTool.find(argv[0]) else {
            throw IsoprobeError(.missing, "\(argv[0]) not found", fix: "apt-get install qemu-system-x86")
        }
        var argv = argv
        argv[0] = qemuPath
        if let cgroupProcs {
            argv = ["/bin/sh", "-c", "echo 0 > \"$0\" && exec \"$@\"", cgroupProcs] + argv
        }
        // Its own group: one kill(-pid) reaches anything QEMU starts, and the terminal's
        // Ctrl-C goes to isoprobe, which then ends the guest in order.
        pid = try HelperCommand.spawn(argv, stdoutFD: logFD, stderrFD: logFD, inherited: inherited,
                                      newProcessGroup: true, closeOthers: true)
        // The shell's exec keeps the pid and start time: this names QEMU too.
        ledgerToken = ProcFS.stat(of: pid).map { ResourceLedger.shared.record(.process(pid: pid, startTime: $0.starttime)) }
    }

    /// SIGKILL to the whole group; a group already gone is not an error.
    func kill() {
        _ = Glibc.kill(-pid, SIGKILL)
    }

    /// Waits for QEMU's exit until `deadline`; true once reaped (and its group gone).
    func reap(before deadline: ContinuousClock.Instant) -> Bool {
        while status == nil {
            var raw: Int32 = 0
            let rc = retryingOnInterrupt { waitpid(pid, &raw, WNOHANG) }
            if rc == pid {
                reaped(raw)
                break
            }
            if rc < 0 {
                reaped(-1)
                break
            }
            if ContinuousClock.now >= deadline { return false }
            usleep(2_000)
        }
        return true
    }

    /// Kills and reaps, whatever state it is in.
    func end() {
        guard status == nil else { return }
        kill()
        var raw: Int32 = 0
        _ = retryingOnInterrupt { waitpid(pid, &raw, 0) }
        reaped(raw)
    }

    /// QEMU's exit status is in: anything it left in its group goes with it.
    private func reaped(_ raw: Int32) {
        status = raw
        emptyGroup()
        ResourceLedger.shared.release(ledgerToken)
    }

    /// Kills what is left of the group (QEMU itself already reaped) and waits, up to two
    /// seconds, until no member runs: SIGKILL lands asynchronously. Members reparented to
    /// isoprobe (when it is a child subreaper) are reaped here; zombies of other parents
    /// run nothing and are their parents' to reap.
    private func emptyGroup() {
        let deadline = ContinuousClock.now + .seconds(2)
        while Glibc.kill(-pid, SIGKILL) == 0 {
            var raw: Int32 = 0
            while waitpid(-pid, &raw, WNOHANG) > 0 {}
            if !Self.groupHasLiveMembers(pid) || ContinuousClock.now >= deadline { break }
            usleep(1_000)
        }
    }

    /// Whether a process of group `group` is anything but a zombie (or dead), from
    /// /proc/<pid>/stat.
    static func groupHasLiveMembers(_ group: pid_t) -> Bool {
        ProcFS.pids().contains { pid in
            guard let stat = ProcFS.stat(of: pid) else { return false }
            return stat.pgrp == group && !stat.hasExited
        }
    }

    /// A close-on-exec copy of `fd` numbered at least `minimum`, the original closed.
    static func highDescriptor(_ fd: Int32, minimum: Int32 = 10) throws -> Int32 {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, minimum)
        let saved = errno
        close(fd)
        guard copy >= 0 else { throw IsoprobeError(.failed, "fcntl(F_DUPFD_CLOEXEC)", cause: ErrorWords.of(errno: saved)) }
        return copy
    }
}
