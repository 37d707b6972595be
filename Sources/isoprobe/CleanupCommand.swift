import ArgumentParser
import Foundation
import History
import Host
import IsoprobeCore

struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove what a killed isoprobe left behind (processes, containers, cgroups, mounts, folders).",
        discussion: """
        Every isoprobe records what it makes under $ISOPROBE_STATE_DIR (default /var/lib/isoprobe) as it \
        makes it. Records whose isoprobe no longer runs are released here; `run` and `verify` do the same \
        when they start. Nothing a running isoprobe holds is touched.
        """)

    func run() throws {
        let found = Leftovers.sweep()
        if found.isEmpty { print("nothing left behind by a killed isoprobe") }
        for record in found {
            print("\(record.owner): \(record.holdings.isEmpty ? "nothing" : ResourceLedger.summary(record.holdings)) removed")
        }
    }
}

/// What killed isoprobes left, released (by `cleanup`, and by `run` and `verify` as they start).
enum Leftovers {
    @discardableResult
    static func sweep() -> [ResourceLedger.Abandoned] {
        ResourceLedger.sweep { database, session, hostLabel in
            do {
                guard let location = HistoryLocation(database) else { return }
                try History(location).abandon(session, hostLabel: hostLabel ?? HistoryOptions.hostname)
            } catch {
                FileHandle.standardError.write(Data("isoprobe: could not mark history session \(session) abandoned: \(error)\n".utf8))
            }
        }
    }

    /// Sweeps and says so in one line when there was anything.
    static func sweepWithNotice() {
        let found = sweep().filter { !$0.holdings.isEmpty }
        guard !found.isEmpty else { return }
        let owners = found.map { "\($0.owner.pid)" }.joined(separator: ", ")
        let what = ResourceLedger.summary(found.flatMap(\.holdings))
        FileHandle.standardError.write(Data("isoprobe: removed what a killed isoprobe (pid \(owners)) left: \(what)\n".utf8))
    }
}
