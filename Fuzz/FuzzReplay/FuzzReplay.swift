#if FUZZING
import CLibFuzzer
#endif
import Foundation
import IsoprobeCore

/// What every fuzz target shares: its `@main` calls `main` with its
/// `LLVMFuzzerTestOneInput`. Built with `-DFUZZING -sanitize=fuzzer,address` (`make fuzz`),
/// that hands the function to libFuzzer; built normally (`swift build`), it runs saved
/// inputs through the same function, so the corpus and every crash found replay as a test.
public enum FuzzReplay {
    /// The signature of `LLVMFuzzerTestOneInput`.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// With -DFUZZING: libFuzzer's loop over `testOneInput`, with libFuzzer's flags from the
    /// command line. Otherwise `TARGET FILE|DIR...` runs each file (a folder: every file below
    /// it, in name order) through it, printing each name first so that a crash is known by
    /// the last line, and `TARGET --seeds DIR` writes `seeds()` into DIR, one file each.
    public static func main(_ name: String, _ testOneInput: TestOneInput, seeds: () throws -> [String: Data]) -> Never {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
        #else
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--seeds" {
            guard arguments.count == 2 else { usage(name) }
            do {
                let written = try seeds()
                try FileManager.default.createDirectory(atPath: arguments[1], withIntermediateDirectories: true)
                for (file, data) in written { try data.write(to: URL(fileURLWithPath: arguments[1] + "/" + file)) }
                print("\(name): \(written.count) seeds written to \(arguments[1])")
                exit(0)
            } catch {
                FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
                exit(1)
            }
        }
        guard !arguments.isEmpty, !arguments.contains(where: { $0.hasPrefix("-") }) else { usage(name) }
        var count = 0
        for file in arguments.flatMap(files) {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("\(name): cannot read \(file)\n".utf8))
                exit(1)
            }
            print("replaying \(file)")
            fflush(stdout)
            _ = data.withUnsafeBytes { testOneInput($0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
            count += 1
        }
        print("\(name): \(count) inputs replayed")
        exit(0)
        #endif
    }

    /// The input as `Data`.
    public static func data(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Data {
        bytes.map { Data(bytes: $0, count: size) } ?? Data()
    }

    static func usage(_ name: String) -> Never {
        FileHandle.standardError.write(Data("usage: \(name) FILE|DIR... (replay inputs), or \(name) --seeds DIR\n".utf8))
        exit(2)
    }

    /// `path` itself, or every regular file below it in name order.
    static func files(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let below = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
        return below.sorted().map { path + "/" + $0 }.filter {
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &dir) && !dir.boolValue
        }
    }

    /// One input cut in up to three pieces where its first two bytes say (they are then not
    /// part of it): the same input always splits alike.
    public static func pieces(_ input: Data) -> [Data] {
        guard input.count > 2 else { return [input] }
        let rest = input.dropFirst(2)
        let first = rest.startIndex + Int(input[input.startIndex]) * rest.count / 256
        let second = first + Int(input[input.startIndex + 1]) * (rest.endIndex - first) / 256
        return [rest[..<first], rest[first..<second], rest[second...]].map { Data($0) }
    }

    /// What bad input must get from `what` (a suite, a workload spec): an `IsoprobeError` of
    /// kind usage, on one plain line.
    public static func requireUsageError(_ error: Error, from what: String) {
        guard let e = error as? IsoprobeError else { broken("\(what) error that is not an IsoprobeError: \(error)") }
        if e.kind != .usage { broken("\(what) error that is not a usage error: \(e)") }
        requireOnePlainLine(e.description, from: what)
    }

    /// An error's line as isoprobe prints it: no control character, no line break.
    public static func requireOnePlainLine(_ line: String, from what: String) {
        if ErrorWords.oneLine(line) != line { broken("\(what) error that is not one plain line: \(line)") }
    }

    /// A promise broken: the fuzzer counts it as a crash, the replay fails on it.
    public static func broken(_ what: String) -> Never {
        fatalError("fuzz invariant broken: \(what)")
    }
}
