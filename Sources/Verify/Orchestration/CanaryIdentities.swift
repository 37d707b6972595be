import Foundation

/// The names the canaries of one verify run carry: random, so nothing another run (or
/// another user) planted can be mistaken for ours, and so leftovers are traceable to a run.
public struct CanaryIdentities: Sendable, Equatable {
    public struct Canary: Sendable, Equatable {
        public var tag: String
        public var secret: String
        public var shmKey: Int32
        public var abstractName: String
        public var port: UInt16

        /// The word the canary's process carries as argv[0].
        public var marker: String { "isoprobe-canary-\(tag)" }

        /// `boundaries plant ...` arguments after the mode.
        public func plantArguments(file: String? = nil, holdMs: Int? = nil, bridge: [String] = []) -> [String] {
            var args = ["tag=\(tag)", "secret=\(secret)", "shm_key=\(shmKey)", "abstract=\(abstractName)", "port=\(port)"] + bridge
            if let file { args.append("file=\(file)") }
            if let holdMs { args.append("hold_ms=\(holdMs)") }
            return args
        }
    }

    public var host: Canary
    public var peer: Canary
    public var hostnameProbe: String
    /// What the run's datagrams on the bridge carry, so the peer's receiver counts only ours.
    public var netTag: String = ""

    public static func random() -> CanaryIdentities {
        let run = randomHex(4)
        func canary(_ role: String, portBase: UInt16) -> Canary {
            let tag = "\(run)\(role)"
            return Canary(tag: tag, secret: randomHex(16), shmKey: Int32.random(in: 0x1000_0000...0x6fff_ffff),
                          abstractName: "isoprobe-\(tag)", port: portBase + UInt16.random(in: 0..<4000))
        }
        // Distinct port ranges so host and peer never draw the same one.
        return CanaryIdentities(host: canary("h", portBase: 41000), peer: canary("p", portBase: 45000),
                                hostnameProbe: "isoprobe-probe-\(run)", netTag: "\(run)n")
    }

    static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
