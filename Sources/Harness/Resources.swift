import Foundation
import Host
import IsoprobeCore

/// Where isoprobe finds its compiled probes and fixture workloads at run time.
///
/// Probes, in order: `--probes-dir`, `$ISOPROBE_PROBES_DIR`, then next to the binary:
/// `<bin>/../probes` (the build tree: build/bin, build/probes), `<bin>/../lib/isoprobe/probes`
/// (an install under a prefix), and `build/probes` in any parent of the binary's folder
/// (covers `.build/debug/isoprobe`). Workloads follow the same order with `workloads`.
public struct Resources: Sendable {
    public var probesDirectory: String
    public var workloadsDirectory: String?

    public static func locate(probesDirectory explicit: String? = nil) throws -> Resources {
        let env = ProcessInfo.processInfo.environment
        let probes: String
        if let explicit {
            guard hasProbes(explicit) else {
                throw IsoprobeError(.missing, "--probes-dir \(explicit): no compiled probes (*.bpf.o) there",
                                    fix: "run `make probes` or point --probes-dir at the folder holding syscalls.bpf.o")
            }
            probes = explicit
        } else if let fromEnv = env["ISOPROBE_PROBES_DIR"], hasProbes(fromEnv) {
            probes = fromEnv
        } else if let found = candidates("probes").first(where: hasProbes) {
            probes = found
        } else {
            throw IsoprobeError(.missing, "compiled probes not found (looked beside the binary and in build/probes)",
                                fix: "run `make probes`, or pass --probes-dir DIR or set ISOPROBE_PROBES_DIR")
        }
        let workloads = env["ISOPROBE_WORKLOADS_DIR"].flatMap { isDirectory($0) ? $0 : nil }
            ?? candidates("workloads").first(where: isDirectory)
        return Resources(probesDirectory: probes, workloadsDirectory: workloads)
    }

    public static var executablePath: String {
        ProcFS.executablePath ?? CommandLine.arguments[0]
    }

    static func candidates(_ leaf: String) -> [String] {
        let binDir = (executablePath as NSString).deletingLastPathComponent
        var out = [
            (binDir as NSString).appendingPathComponent("../\(leaf)"),
            (binDir as NSString).appendingPathComponent("../lib/isoprobe/\(leaf)"),
        ]
        var dir = binDir
        while dir != "/" && !dir.isEmpty {
            out.append((dir as NSString).appendingPathComponent("build/\(leaf)"))
            dir = (dir as NSString).deletingLastPathComponent
        }
        out.append(FileManager.default.currentDirectoryPath + "/build/\(leaf)")
        return out.map { ($0 as NSString).standardizingPath }
    }

    static func hasProbes(_ dir: String) -> Bool {
        FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("syscalls.bpf.o"))
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
