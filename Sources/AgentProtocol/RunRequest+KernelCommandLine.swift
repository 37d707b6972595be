import Foundation

/// A run request as one kernel command-line parameter, for when the host cannot talk to the
/// guest after boot: `isoprobe.run=1.<base64url of compact JSON>`.
///
/// - The dotted name makes the kernel treat it as a parameter of a module "isoprobe" that
///   does not exist: it is ignored, not passed to init as an argument or environment
///   variable (init's environment is capped at 32 entries), and stays readable in
///   /proc/cmdline, where the agent takes it from.
/// - base64url without padding has no spaces, quotes, `+`, `/` or `=`, so nothing in the
///   value needs quoting on QEMU's `-append` or in the kernel's parser.
/// - `1.` is the token's format version.
/// - The kernel truncates a command line longer than COMMAND_LINE_SIZE (2048 bytes on
///   x86_64) silently, so the host checks the size before booting: the default limit leaves
///   512 bytes for the rest (console=, panic=, rdinit=, ...). A request that does not fit
///   must travel another way (a file in the initramfs, or a `run` message).
extension RunRequest {
    public static let kernelParameterName = "isoprobe.run"
    public static let defaultKernelParameterLimit = 1536
    static let tokenVersionPrefix = "1."

    /// One-letter keys and defaults left out: the command line is small.
    private struct Compact: Codable {
        var s: String
        var c: Bool?
        var a: [String]
        var e: [String: String]?
        var t: Double?
        var p: [String]
        var r: Int?
        var n: Int?
        var o: Bool?
    }

    /// The parameter's value, without the name.
    public func kernelCommandLineToken() throws -> String {
        let compact = Compact(s: spec, c: isCommand ? true : nil, a: argv, e: environment.isEmpty ? nil : environment,
                              t: timeoutSeconds, p: probes, r: repetition == 1 ? nil : repetition,
                              n: count == 1 ? nil : count, o: returnOutput == true ? true : nil)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Self.tokenVersionPrefix + Self.base64url(try e.encode(compact))
    }

    /// `isoprobe.run=<token>`, refused when longer than `limit` bytes.
    public func kernelCommandLineParameter(limit: Int = RunRequest.defaultKernelParameterLimit) throws -> String {
        let parameter = Self.kernelParameterName + "=" + (try kernelCommandLineToken())
        guard parameter.utf8.count <= limit else {
            throw AgentProtocolError.commandLineTooLong(bytes: parameter.utf8.count, limit: limit)
        }
        return parameter
    }

    public init(kernelCommandLineToken token: String) throws {
        guard token.hasPrefix(Self.tokenVersionPrefix) else {
            throw AgentProtocolError.badCommandLineToken("does not start with version '\(Self.tokenVersionPrefix)'")
        }
        guard let json = Self.data(base64url: String(token.dropFirst(Self.tokenVersionPrefix.count))) else {
            throw AgentProtocolError.badCommandLineToken("not base64url (cut short by the kernel's command-line limit?)")
        }
        let c: Compact
        do {
            c = try JSONDecoder().decode(Compact.self, from: json)
        } catch {
            throw AgentProtocolError.badCommandLineToken("not a run request (cut short by the kernel's command-line limit?): \(error)")
        }
        self.init(spec: c.s, isCommand: c.c ?? false, argv: c.a, environment: c.e ?? [:], timeoutSeconds: c.t,
                  probes: c.p, repetition: c.r ?? 1, count: c.n ?? 1, returnOutput: c.o)
    }

    /// The request in a kernel command line (the contents of /proc/cmdline), or nil if it
    /// has none. The last `isoprobe.run=` wins, as the kernel's own parameters do.
    public static func fromKernelCommandLine(_ commandLine: String) throws -> RunRequest? {
        let prefix = kernelParameterName + "="
        guard let token = commandLine.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
            .last(where: { $0.hasPrefix(prefix) }) else { return nil }
        return try RunRequest(kernelCommandLineToken: String(token.dropFirst(prefix.count)))
    }

    static func base64url(_ data: Data) -> String {
        var s = data.base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func data(base64url s: String) -> Data? {
        let alphabet = { (c: UInt8) -> Bool in
            (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
        }
        // A length of 4k+1 cannot come from any byte string.
        guard s.utf8.allSatisfy(alphabet), s.utf8.count % 4 != 1 else { return nil }
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b += String(repeating: "=", count: (4 - b.utf8.count % 4) % 4)
        return Data(base64Encoded: b)
    }
}
