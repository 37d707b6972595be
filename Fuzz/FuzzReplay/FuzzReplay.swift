#if FUZZING
import CLibFuzzer
#endif
import Foundation

/// What every fuzz target shares. Each has an `LLVMFuzzerTestOneInput`. Built with
/// `-DFUZZING -sanitize=fuzzer,address` (`make fuzz`), its main hands that to libFuzzer
/// (`fuzz`); built normally (`swift build`), its main is `FuzzReplay.main`, which runs saved
/// inputs through the same function, so the corpus and every crash found replay as a test.
public enum FuzzReplay {
    /// The signature of `LLVMFuzzerTestOneInput`.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    #if FUZZING
    /// libFuzzer's loop over `testOneInput`, with libFuzzer's flags from the command line.
    public static func fuzz(_ testOneInput: TestOneInput) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
    }
    #endif

    /// `TARGET FILE|DIR...` runs each file (a folder: every file below it, in name order)
    /// through `body`, printing each name first so that a crash is known by the last line;
    /// `TARGET --seeds DIR` writes `seeds()` into DIR, one file each.
    public static func main(_ name: String, _ body: (UnsafeRawBufferPointer) -> Void,
                            seeds: () throws -> [String: Data]) -> Never {
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
            data.withUnsafeBytes { body($0) }
            count += 1
        }
        print("\(name): \(count) inputs replayed")
        exit(0)
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

    /// Cut points for feeding one input in up to three pieces, taken from its first two
    /// bytes (which are then not part of the input): the same input always splits alike.
    public static func pieces(_ bytes: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
        guard bytes.count > 2 else { return [bytes] }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[2...])
        let first = Int(bytes[0]) * rest.count / 256
        let second = first + Int(bytes[1]) * (rest.count - first) / 256
        return [rest[..<first], rest[first..<second], rest[second...]].map { UnsafeRawBufferPointer(rebasing: $0) }
    }

    /// A promise broken: the fuzzer counts it as a crash, the replay fails on it.
    public static func broken(_ what: String) -> Never {
        fatalError("fuzz invariant broken: \(what)")
    }
}
