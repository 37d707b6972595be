import Foundation

/// Host processes found by one word of their arguments (a word is an argument, or a
/// space-separated part of one such as a kernel command line passed to QEMU).
public enum HostProcesses {
    public static func carrying(_ word: String) -> [pid_t] {
        guard !word.isEmpty else { return [] }
        let me = getpid()
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> pid_t? in
            guard let pid = pid_t(name), pid != me,
                  let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let words = data.split(whereSeparator: { $0 == 0 || $0 == 32 })
            return words.contains(where: { $0.elementsEqual(word.utf8) }) ? pid : nil
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
