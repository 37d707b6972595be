import Foundation
import Host

/// Host processes found by one word of their arguments (a word is an argument, or a
/// space-separated part of one such as a kernel command line passed to QEMU).
public enum HostProcesses {
    public static func carrying(_ word: String) -> [pid_t] {
        guard !word.isEmpty else { return [] }
        let me = getpid()
        return ProcFS.pids().filter { pid in
            guard pid != me, let arguments = ProcFS.cmdline(of: pid) else { return false }
            return arguments.contains { argument in
                argument.split(separator: " ").contains { $0.utf8.elementsEqual(word.utf8) }
            }
        }
    }

    /// SIGKILL to each; whether there were any.
    @discardableResult
    public static func kill(carrying word: String) -> Bool {
        let pids = carrying(word)
        for pid in pids { Glibc.kill(pid, SIGKILL) }
        return !pids.isEmpty
    }
}
