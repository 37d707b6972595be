import Foundation
import IsoprobeCore

/// What the checker printed for one check.
public struct ObservedCheck: Codable, Sendable, Equatable {
    public var id: String
    public var verdict: CheckVerdict
    public var evidence: String

    public init(id: String, verdict: CheckVerdict, evidence: String) {
        self.id = id
        self.verdict = verdict
        self.evidence = evidence
    }

    /// The `isoprobe-check` lines of `output`; see `CheckerOutput.parse` for the rules.
    public static func parse(_ output: String) throws -> [ObservedCheck] {
        try CheckerOutput.parse(output, requireAll: false).checks
    }

    /// One `isoprobe-check id=ID verdict=V evidence=TEXT` line, or nil for a line of another kind.
    static func parseLine(_ line: Substring) throws -> ObservedCheck? {
        guard line.hasPrefix("isoprobe-check ") || line == "isoprobe-check" else { return nil }
        var fields: [String: String] = [:]
        for token in line.split(separator: " ").dropFirst() {
            let kv = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard kv.count == 2, fields[kv[0]] == nil else { throw malformed(line, "'\(token)' is not a single key=value") }
            fields[kv[0]] = kv[1]
        }
        guard let id = fields["id"] else { throw malformed(line, "no id") }
        guard let raw = fields["verdict"], let verdict = CheckVerdict(rawValue: raw) else {
            throw malformed(line, "verdict must be pass, fail or na")
        }
        guard let encoded = fields["evidence"], let evidence = encoded.removingPercentEncoding else {
            throw malformed(line, "evidence missing or not percent-encoded")
        }
        guard fields.count == 3 else { throw malformed(line, "unexpected fields") }
        guard BoundaryCheck.named(id) != nil else {
            throw IsoprobeError(.failed, "the checker reported an unknown check '\(id)'", cause: String(line))
        }
        return ObservedCheck(id: id, verdict: verdict, evidence: evidence)
    }

    private static func malformed(_ line: Substring, _ why: String) -> IsoprobeError {
        IsoprobeError(.failed, "the checker printed a malformed line (\(why))", cause: String(line))
    }
}

/// Everything one `boundaries check` run printed.
public struct CheckerOutput: Sendable, Equatable {
    public var checks: [ObservedCheck]
    /// From the closing `isoprobe-workload` line; nil when the checker did not get that far.
    public var ops: Int?
    public var elapsedNs: UInt64?

    public func check(_ id: String) -> ObservedCheck? { checks.first { $0.id == id } }

    /// Reads the checker's stdout. Lines that are neither `isoprobe-check` nor
    /// `isoprobe-workload` are ignored (a guest console adds its own); a malformed check line,
    /// an unknown id or a check reported twice is an error quoting the line. With `requireAll`,
    /// a run that did not report every check (the checker died half-way) is an error naming
    /// the first missing ones.
    public static func parse(_ output: String, requireAll: Bool = true) throws -> CheckerOutput {
        var out = CheckerOutput(checks: [], ops: nil, elapsedNs: nil)
        var seen: Set<String> = []
        for rawLine in output.split(whereSeparator: \.isNewline) {
            let line = rawLine.drop { $0 == " " || $0 == "\r" }
            if let check = try ObservedCheck.parseLine(line) {
                guard seen.insert(check.id).inserted else {
                    throw IsoprobeError(.failed, "the checker reported '\(check.id)' twice", cause: String(line))
                }
                out.checks.append(check)
            } else if line.hasPrefix("isoprobe-workload ") {
                for token in line.split(separator: " ") {
                    if token.hasPrefix("ops=") { out.ops = Int(token.dropFirst(4)) }
                    if token.hasPrefix("elapsed_ns=") { out.elapsedNs = UInt64(token.dropFirst(11)) }
                }
            }
        }
        if requireAll {
            let missing = BoundaryCheck.all.map(\.id).filter { !seen.contains($0) }
            if !missing.isEmpty {
                throw IsoprobeError(.failed, "the checker reported \(out.checks.count) of \(BoundaryCheck.all.count) checks",
                                    cause: "missing " + missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", ..." : ""))
            }
        }
        return out
    }
}

extension ObservedCheck {
    /// id.hostname as the host decides it once A has run: the checker only says whether A
    /// could set `probe` as its hostname; the boundary broke if the host or B now shows it.
    public static func hostname(checker: ObservedCheck?, probe: String, seenOnHost: Bool, seenInPeer: Bool) -> ObservedCheck {
        let said = checker?.evidence ?? "no checker verdict"
        if seenOnHost || seenInPeer {
            let where_ = [seenOnHost ? "the host" : nil, seenInPeer ? "B" : nil].compactMap { $0 }.joined(separator: " and ")
            return ObservedCheck(id: "id.hostname", verdict: .fail, evidence: "\(probe) showed in \(where_); checker: \(said)")
        }
        if said.hasPrefix("sethostname(") {
            return ObservedCheck(id: "id.hostname", verdict: .pass, evidence: "\(probe) showed nowhere else; checker: \(said)")
        }
        if said.hasPrefix("sethostname refused") {
            return ObservedCheck(id: "id.hostname", verdict: .pass, evidence: "A could not change its hostname; checker: \(said)")
        }
        return ObservedCheck(id: "id.hostname", verdict: .na, evidence: said)
    }
}
