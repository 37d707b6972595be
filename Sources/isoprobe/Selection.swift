import Foundation
import History
import IsoprobeCore

/// What `compare` takes on each side: one session (an id, latest, latest~N), or every
/// session matching `key=value` pairs: host=LABEL, kernel=RELEASE, since=DAY, until=DAY
/// (e.g. host=web-1,kernel=6.12).
struct Selection: Sendable {
    enum Kind: Sendable {
        case session(String)
        case filter(SessionFilter)
    }

    var text: String
    var kind: Kind

    static let keys = ["host", "kernel", "since", "until"]

    init(_ text: String) throws {
        self.text = text
        guard text.contains("=") else {
            kind = .session(text)
            return
        }
        var filter = SessionFilter()
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw IsoprobeError(.usage, "'\(text)': '\(pair)' is not key=value",
                                    fix: "write e.g. host=web-1,kernel=6.12 (keys: \(Self.keys.joined(separator: ", ")))")
            }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "host": filter.hostLabel = value
            case "kernel": filter.kernel = value
            case "since", "until":
                guard let date = HistoryDate.parse(value) else {
                    throw IsoprobeError(.usage, "'\(text)': \(key)=\(value) is not a day or time", fix: "write e.g. \(key)=2026-12-01")
                }
                if key == "since" { filter.since = date } else { filter.until = date }
            default:
                throw IsoprobeError(.usage, "'\(text)': unknown key '\(key)'", fix: "use \(Self.keys.joined(separator: ", "))")
            }
        }
        kind = .filter(filter)
    }

    /// The measured runs selected, and the words that name them in a report.
    func runs(in history: History, hostLabel: String) throws -> (label: String, runs: [RunResult]) {
        switch kind {
        case .session(let reference):
            let id = try history.resolve(reference, hostLabel: hostLabel)
            return ("run \(id.prefix(8))", try history.document(session: id).runs)
        case .filter(let filter):
            let sessions = try history.sessionRuns(filter)
            let runs = sessions.flatMap(\.runs)
            guard !runs.isEmpty else {
                throw IsoprobeError(.usage, "no recorded run matches \(text) in the history \(history.location)",
                                    fix: "`isoprobe history --host H --kernel K` lists what is there")
            }
            return ("\(text) (\(sessions.count) session\(sessions.count == 1 ? "" : "s"))", runs)
        }
    }
}
