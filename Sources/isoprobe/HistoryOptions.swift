import ArgumentParser
import Foundation
import History
import IsoprobeCore

/// Where the history is, and whose runs this host's are in it.
struct HistoryOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "The history: an SQLite file, or postgres://user@host/db for one many hosts share (default $ISOPROBE_HISTORY, else /var/lib/isoprobe/history.sqlite as root). Passwords come from ~/.pgpass or PGPASSWORD.")
    var database: String?

    @Option(name: .customLong("host-label"), help: "This host's name in a shared history (default the hostname); latest and latest~N count its runs only.")
    var hostLabelOption: String?

    @Option(name: .customLong("local-db"), help: "The SQLite file that keeps runs when the shared database cannot be reached, and that `history push` sends from (default /var/lib/isoprobe/history.sqlite as root).")
    var localDatabase: String?

    func validate() throws {
        if let hostLabelOption, hostLabelOption.isEmpty || hostLabelOption.count > 200
            || hostLabelOption.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw ValidationError("--host-label must be a name of 1 to 200 characters without spaces, e.g. web-1")
        }
        if let localDatabase, HistoryLocation(localDatabase).map({ if case .file = $0 { true } else { false } }) != true {
            throw ValidationError("--local-db takes a file path, e.g. /var/lib/isoprobe/history.sqlite")
        }
    }

    var hostLabel: String { hostLabelOption ?? Self.hostname }

    var localPath: String { localDatabase ?? History.defaultLocalPath }

    static var hostname: String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
        return String(cString: name)
    }

    /// --db, else $ISOPROBE_HISTORY, else the local file. A URL other than postgres:// is
    /// refused rather than taken as a path.
    func location() throws -> HistoryLocation {
        let text = database ?? History.defaultPath
        if let location = HistoryLocation(text) { return location }
        let shown = PostgresURL.redacted(text)
        let example = "postgres://isoprobe@db.example/isoprobe or /var/lib/isoprobe/history.sqlite"
        if database != nil {
            throw IsoprobeError(.usage, "--db \(shown): not a history database: give an SQLite file path or a postgres:// URL",
                                fix: "e.g. \(example)")
        }
        throw IsoprobeError(.usage, "ISOPROBE_HISTORY=\(shown): not a history database: give an SQLite file path or a postgres:// URL",
                            fix: "e.g. \(example), or unset it")
    }

    /// The history the reading commands use: a file that is not there is said so, not made.
    func existing() throws -> History {
        let location = try location()
        if case .file(let path) = location, !FileManager.default.fileExists(atPath: path) {
            throw IsoprobeError(.missing, "the history database \(path) does not exist",
                                fix: "`isoprobe run` records runs there; pass --db PATH to read another")
        }
        return try History(location)
    }
}
