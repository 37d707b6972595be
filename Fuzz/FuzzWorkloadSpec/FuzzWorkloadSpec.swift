import Foundation
import FuzzReplay
import IsoprobeCore

/// Fuzz target: the text of `--workload NAME:key=value,...` (and a suite's `spec = "..."`).
/// Whatever the text: a spec, which written out (`text`) reads back the same, or one usage
/// error on one plain line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkloadSpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzReplay.data(data, size), as: UTF8.self)
    let spec: WorkloadSpec
    do {
        spec = try WorkloadSpec.parse(text)
    } catch {
        FuzzReplay.requireUsageError(error, from: "a workload spec")
        return 0
    }
    guard let again = try? WorkloadSpec.parse(spec.text), again == spec else {
        FuzzReplay.broken("'\(text)' reads as '\(spec.text)', which does not read back the same")
    }
    return 0
}

@main
struct Entry {
    static func main() { FuzzReplay.main("fuzz-workload-spec", fuzzWorkloadSpec, seeds: seeds) }

    /// The README's specs and some a parser should refuse (`make fuzz-seeds`).
    static func seeds() -> [String: Data] {
        let specs = ["getpid", "getpid:count=100000", "pipe-rw:count=10000,size=4096", "pingpong:rounds=10000",
                     "pagefault:pages=1000", "compute:iterations=20000000,delay_ms=40", "fileio:count=100,size=65536",
                     "forkexec:count=100", "memhog:mib=256", "forkbomb:count=32", "sleep:ms=10", "getpid:", "getpid:count",
                     "getpid:count=1,count=2", "get pid", ":count=1", "getpid:a=b=c,,d=", "ünïcödé-name_1:k=v"]
        return Dictionary(uniqueKeysWithValues: specs.enumerated().map { ("generated-\($0.offset)", Data($0.element.utf8)) })
    }
}
