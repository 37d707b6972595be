import Foundation
import FuzzReplay
import IsoprobeCore
import Suite

/// Fuzz target: a suite file's bytes, the way `isoprobe run --suite FILE` reads them (UTF-8,
/// TOML, then the suite's fields). Whatever the bytes, the answer is a suite or one usage
/// error of one line; never a crash, a hang or unbounded memory.
func fuzzSuite(_ bytes: UnsafeRawBufferPointer) {
    do {
        _ = try SuiteFile.parse(data: Data(bytes), path: "fuzz.toml")
    } catch let error as IsoprobeError {
        if error.kind != .usage { FuzzReplay.broken("a suite error that is not a usage error: \(error)") }
        if ErrorWords.oneLine(error.description) != error.description { FuzzReplay.broken("a suite error that is not one plain line: \(error)") }
    } catch {
        FuzzReplay.broken("a suite error that is not an IsoprobeError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzSuite(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

@main
struct Entry {
    /// libFuzzer's loop with -DFUZZING; otherwise the replay of the files named (or the seeds).
    static func main() {
        #if FUZZING
        FuzzReplay.fuzz(fuzzerTestOneInput)
        #else
        FuzzReplay.main("fuzz-suite", fuzzSuite, seeds: seeds)
        #endif
    }

    #if !FUZZING
    /// The inputs the corpus starts from (`make fuzz-seeds` writes them to fixtures/fuzz).
    static func seeds() throws -> [String: Data] {
        let samples = [
            "values": """
                # every kind of value
                a = "basic \\"q\\" \\u00e9 \\t"
                b = 'literal \\n'
                c = 1_000
                d = -17
                e = 0xff
                f = 3.5e2
                g = true
                h = [1, 2,
                     3,]
                i = { x = 1, y.z = "w" }
                "quoted key" = false
                j.k = 2
                m = \"\"\"
                two
                lines\"\"\"
                n = -inf
                o = '''
                raw
                '''
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
        return samples.mapValues { Data($0.utf8) }.reduce(into: [:]) { $0["generated-\($1.key).toml"] = $1.value }
    }
    #endif
}
