import Foundation
import FuzzReplay
import IsoprobeCore
import OCI

/// Fuzz target: a `config.json`'s bytes, the way `--oci-config FILE` takes them: decoded
/// (`Spec.load` once the file is read), summarised as reports show it, its process and root
/// replaced as a run does, and written back as runc gets it. Whatever the bytes: a config or
/// one `OCIConfigError` of one line; and a config that decoded encodes and decodes again.
func fuzzOCIConfig(_ bytes: UnsafeRawBufferPointer) {
    let spec: Spec
    do {
        spec = try Spec.decode(Data(bytes), source: "fuzz.json")
    } catch let error as OCIConfigError {
        if ErrorWords.oneLine("\(error)") != "\(error)" { FuzzReplay.broken("a config error that is not one plain line: \(error)") }
        return
    } catch {
        FuzzReplay.broken("a config error that is not an OCIConfigError: \(error)")
    }
    _ = OCIConfigSummary(spec).lines
    guard let run = try? spec.replacingProcessArgsAndRoot(args: ["/isoprobe/workloads/getpid", "count=1"], rootPath: "/rootfs") else {
        return
    }
    do {
        _ = try Spec.decode(try run.encoded(), source: "written.json")
    } catch {
        FuzzReplay.broken("a config that decoded does not survive being written: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzOCIConfig(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

@main
struct Entry {
    /// libFuzzer's loop with -DFUZZING; otherwise the replay of the files named (or the seeds).
    static func main() {
        #if FUZZING
        FuzzReplay.fuzz(fuzzerTestOneInput)
        #else
        FuzzReplay.main("fuzz-oci-config", fuzzOCIConfig, seeds: seeds)
        #endif
    }

    #if !FUZZING
    /// The inputs the corpus starts from (`make fuzz-seeds` writes them to fixtures/fuzz).
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
    #endif
}
