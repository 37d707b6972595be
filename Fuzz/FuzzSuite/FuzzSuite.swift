import Foundation
import FuzzReplay
import Suite

/// Fuzz target: a suite file's bytes, the way `isoprobe run --suite FILE` reads them (UTF-8,
/// TOML, then the suite's fields). Whatever the bytes, the answer is a suite or one usage
/// error on one plain line; never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSuite(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
        _ = try SuiteFile.parse(data: FuzzReplay.data(data, size), path: "fuzz.toml")
    } catch {
        FuzzReplay.requireUsageError(error, from: "a suite")
    }
    return 0
}

@main
struct Entry {
    static func main() { FuzzReplay.main("fuzz-suite", fuzzSuite, seeds: seeds) }

    /// The inputs the corpus starts from beside the repository's suites (`make fuzz-seeds`).
    static func seeds() -> [String: Data] {
        let samples = [
            "values": """
                # each kind of value once, and the corners of each
                str = "tab\\there \\"quoted\\" \\U0001F600"
                lit = 'C:\\raw\\path'
                multi = \"\"\"
                first \\
                  joined\"\"\"
                rawmulti = '''
                kept \\n as is'''
                int = [+7, -0, 0xDEAD_beef, 0o755, 0b1010, 9_223_372_036_854_775_807]
                float = [6.02e23, -1E-3, 1_000.000_1, +inf, -nan]
                bool = [true, false]
                mixed = [[1, 2], ["a"], [{x = 1}], []]
                inline = { a.b = 1, c = { d = "e" } }
                "quoted.key" = 1
                'literal key' = 2
                dotted . spaced = 3
                """,
            "tables": """
                top = 1
                [container]
                runtime = "runc"
                [vm.extra]
                x = 1
                [[workload]]
                spec = "a"
                [[workload]]
                name = "b"
                params = { count = 1 }
                [[workload.sub]]
                y = 2
                """,
            "suite": """
                name = "x"
                description = "every field"
                repetitions = 7
                warmups = 2
                environments = ["native", "container", "vm"]
                required = true
                threshold = 0.1
                timeout = 30
                [container]
                runtime = "crun"
                memory = "64M"
                cpus = 1.5
                pids = 32
                oci_config = "cfg/config.json"
                [vm]
                vcpus = 2
                memory_mib = 512
                kernel = "vmlinuz"
                accel = "tcg"
                fresh = true
                [[workload]]
                spec = "getpid:count=10"
                [[workload]]
                name = "pingpong"
                params = { rounds = 5, pin = 0, ratio = 0.5, on = true, label = "x" }
                environments = ["native"]
                repetitions = 3
                """,
            "mistakes": """
                repetitons = 5
                [[workload]]
                spec = "getpid"
                spec = "twice"
                [workload]
                a = [1, "two"
                b = {c = 1
                d = 1979-05-27
                e = "\\x"
                """,
            "nested": "a = [[[[{b = [[{c.d.e = 1}]]}]]]]\n[x.y.z]\nw.v = [[[1]]]\n",
        ]
        return Dictionary(uniqueKeysWithValues: samples.map { ("generated-\($0.key).toml", Data($0.value.utf8)) })
    }
}
