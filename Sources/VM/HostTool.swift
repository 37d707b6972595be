import Foundation

/// Host programs the VM environment runs: QEMU, and what prepares a guest (mkfs.ext4, xz).
/// Found on PATH and in the bin and sbin folders (a non-login root shell may lack the
/// latter on PATH); run to completion.
public enum HostTool {
    /// A path is taken as it is; a name is looked up on PATH, then in the usual bin and
    /// sbin folders.
    public static func find(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Standard output of a run that exited 0; nil otherwise. Standard error is dropped.
    static func output(_ argv: [String]) -> Data? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? data : nil
    }
}
