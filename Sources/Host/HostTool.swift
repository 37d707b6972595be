import Foundation

/// Programs on the host that isoprobe runs (OCI runtimes, QEMU, mkfs.ext4, xz, bpftrace,
/// nsenter, workloads given by name): the one place that finds them, and a way to run one
/// to completion for its output.
public enum HostTool {
    /// Folders searched after PATH: a non-login root shell may lack the sbin folders on PATH.
    public static let fallbackDirectories = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// A path (anything with a "/") is taken as it is if it is an executable file; a name is
    /// looked up on PATH (default "/usr/local/bin:/usr/bin:/bin"), then in
    /// `fallbackDirectories`. nil: not found.
    public static func find(_ name: String) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return isExecutableFile(name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var searched = Set<String>()
        for directory in path.split(separator: ":").map(String.init) + fallbackDirectories
        where searched.insert(directory).inserted {
            let candidate = "\(directory)/\(name)"
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// A regular file (after symbolic links) this process may execute.
    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    /// Standard output of a run (argv[0] a path) that exited 0, byte for byte; nil if it
    /// could not start, failed, was killed after `timeout` seconds, or wrote more than
    /// `stdoutLimit` bytes. Standard error is dropped.
    public static func output(_ argv: [String], stdoutLimit: Int = 1 << 20, timeout: TimeInterval = 300) -> Data? {
        guard let result = try? HelperCommand.run(argv, timeout: timeout, stdoutLimit: stdoutLimit),
              result.succeeded, !result.stdoutTruncated else { return nil }
        return result.stdoutData
    }
}
