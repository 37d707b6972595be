import Foundation
import FuzzReplay
import IsoprobeCore

/// Fuzz target: the text of `--workload NAME:key=value,...` (and a suite's `spec = "..."`).
/// Whatever the text: a spec, which written out (`text`) reads back the same, or one usage
/// error of one line.
func fuzzWorkloadSpec(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    let spec: WorkloadSpec
    do {
        spec = try WorkloadSpec.parse(text)
    } catch let error as IsoprobeError {
        if error.kind != .usage { FuzzReplay.broken("a workload spec error that is not a usage error: \(error)") }
        if ErrorWords.oneLine(error.description) != error.description { FuzzReplay.broken("a workload spec error that is not one plain line: \(error)") }
        return
    } catch {
        FuzzReplay.broken("a workload spec error that is not an IsoprobeError: \(error)")
    }
    guard let again = try? WorkloadSpec.parse(spec.text), again == spec else {
        FuzzReplay.broken("'\(text)' reads as '\(spec.text)', which does not read back the same")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzWorkloadSpec(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

@main
struct Entry {
    /// libFuzzer's loop with -DFUZZING; otherwise the replay of the files named (or the seeds).
    static func main() {
        #if FUZZING
        FuzzReplay.fuzz(fuzzerTestOneInput)
        #else
        FuzzReplay.main("fuzz-workload-spec", fuzzWorkloadSpec, seeds: seeds)
        #endif
    }

    #if !FUZZING
    /// The inputs the corpus starts from (`make fuzz-seeds` writes them to fixtures/fuzz).
    static func seeds() throws -> [String: Data] {
        let specs = ["getpid", "getpid:count=100000", "pipe-rw:count=10000,size=4096", "pingpong:rounds=10000",
                     "pagefault:pages=1000", "compute:iterations=20000000,delay_ms=40", "fileio:count=100,size=65536",
                     "forkexec:count=100", "memhog:mib=256", "forkbomb:count=32", "sleep:ms=10", "getpid:", "getpid:count",
                     "getpid:count=1,count=2", "get pid", ":count=1", "getpid:a=b=c,,d=", "ünïcödé-name_1:k=v"]
        return Dictionary(uniqueKeysWithValues: specs.enumerated().map { ("generated-\($0.offset)", Data($0.element.utf8)) })
    }
    #endif
}
