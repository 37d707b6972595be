import Foundation
import FuzzReplay
import OCI

/// Fuzz target: a `config.json`'s bytes, the way `--oci-config FILE` takes them: decoded
/// (`Spec.load` once the file is read), summarised as reports show it, its process and root
/// replaced as a run does, and written back as runc gets it. Whatever the bytes: a config or
/// one `OCIConfigError` on one plain line; and a config that decoded encodes and decodes again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOCIConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let spec: Spec
    do {
        spec = try Spec.decode(FuzzReplay.data(data, size), source: "fuzz.json")
    } catch {
        if !(error is OCIConfigError) { FuzzReplay.broken("a config error that is not an OCIConfigError: \(error)") }
        FuzzReplay.requireOnePlainLine("\(error)", from: "a config")
        return 0
    }
    _ = OCIConfigSummary(spec).lines
    guard let run = try? spec.replacingProcessArgsAndRoot(args: ["/isoprobe/workloads/getpid", "count=1"], rootPath: "/rootfs") else {
        return 0
    }
    do {
        _ = try Spec.decode(try run.encoded(), source: "written.json")
    } catch {
        FuzzReplay.broken("a config that decoded does not survive being written: \(error)")
    }
    return 0
}

@main
struct Entry {
    static func main() { FuzzReplay.main("fuzz-oci-config", fuzzOCIConfig, seeds: seeds) }

    /// The inputs the corpus starts from beside runc's own config (`make fuzz-seeds`).
    static func seeds() throws -> [String: Data] {
        var seeds: [String: Data] = [:]
        for (name, userNamespace) in [("hardened", false), ("hardened-userns", true)] {
            let spec = try Spec.hardened(rootfs: "/rootfs", args: ["/bin/getpid", "count=10"], cgroupsPath: "/isoprobe-1",
                                         limits: ResourceLimits(cpus: 1.5, memoryBytes: 64 << 20, pids: 32),
                                         userNamespace: userNamespace)
            seeds["generated-\(name).json"] = try spec.encoded()
        }
        seeds["generated-mistakes.json"] = Data("""
            {"ociVersion": 5, "process": {"user": {"uid": -1, "gid": 0.5}, "args": [], "cwd": "relative"},
             "root": {"path": ""}, "linux": {"namespaces": [{"type": "nosuch"}], "resources": {"pids": {"limit": 1e99}}}}
            """.utf8)
        return seeds
    }
}
