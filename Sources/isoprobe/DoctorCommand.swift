import ArgumentParser
import Diagnostics
import Foundation
import Harness
import History
import Host
import IsoprobeCore
import Reports

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what isoprobe needs on this host and print the command that fixes what is missing.")

    @OptionGroup var resources: ResourceOptions

    @OptionGroup var historyOptions: HistoryOptions

    @Option(name: .customLong("push"), help: "Also check that this Prometheus Pushgateway (what `export --push` takes) answers.")
    var push: String?

    func validate() throws {
        if let push, HTTPRequest.Address(push) == nil {
            throw ValidationError("--push \(push): not a Pushgateway URL; give http://HOST:9091 (plain HTTP)")
        }
    }

    func run() throws {
        var rows = Doctor.run(probesDirectory: resources.probesDirectory)
            .map { (name: $0.name, ok: $0.ok, required: $0.required, detail: $0.detail, fix: $0.fix ?? "") }
        rows.append(historyCheck())
        if let push { rows.append(pushgatewayCheck(push)) }
        var table = Table(["check", "status", "detail", "fix"])
        for c in rows {
            table.add([c.name, c.ok ? "ok" : (c.required ? "MISSING" : "missing"), c.detail, c.fix])
        }
        print(table.render(indent: ""), terminator: "")
        if rows.contains(where: { $0.required && !$0.ok }) { throw ExitCode(ExitStatus.missing.rawValue) }
    }

    /// The Pushgateway `export --push` would send to: ready. Not required: only the push needs it.
    func pushgatewayCheck(_ url: String) -> (name: String, ok: Bool, required: Bool, detail: String, fix: String) {
        let name = "pushgateway"
        do {
            let (ok, detail) = try Pushgateway(url, hostLabel: historyOptions.hostLabel).ready()
            return (name, ok, false, detail, ok ? "" : "start the Pushgateway there (Debian: prometheus-pushgateway), or check --push")
        } catch {
            return (name, false, false, ErrorWords.of(error), "give --push http://HOST:9091")
        }
    }

    /// The configured history: reachable, and at the schema this isoprobe writes. Not
    /// required: a run that cannot reach a shared database keeps its results locally.
    func historyCheck() -> (name: String, ok: Bool, required: Bool, detail: String, fix: String) {
        let name = "history database"
        do {
            let location = try historyOptions.location()
            if case .file(let path) = location, !FileManager.default.fileExists(atPath: path) {
                return (name, true, false, "\(path): made by the first run (schema \(HistorySchema.current))", "")
            }
            // A look, not a run: an empty database stays empty, an older schema as it was.
            let history = try History(location, migrating: false)
            let found = try history.schemaVersion()
            let localPath = historyOptions.localPath
            let kept = history.isShared && FileManager.default.fileExists(atPath: localPath)
                ? (try? History(.file(localPath)).keptSessionCount()) ?? 0 : 0
            let pending = history.isShared && kept > 0 ? "; \(kept) session\(kept == 1 ? "" : "s") kept locally to push" : ""
            let standing = found.map(HistorySchema.standing(of:))
            let schema = switch (found, standing) {
            case (let v?, .orderedAscending?): "schema \(v): the next run migrates it to \(HistorySchema.current)"
            case (let v?, .orderedDescending?): "schema \(v), newer than this isoprobe's \(HistorySchema.current)"
            case (_?, _): "schema \(HistorySchema.current)"
            case (nil, _): "no schema yet: the first run creates \(HistorySchema.current)"
            }
            let newer = standing == .orderedDescending
            return (name, !newer && pending.isEmpty, false, "\(history.location): reachable, \(schema)\(pending)",
                    newer ? "upgrade isoprobe on this host" : pending.isEmpty ? "" : "isoprobe history push")
        } catch {
            let line = (error as? IsoprobeError).map { $0.message } ?? ErrorWords.of(error)
            return (name, false, false, line, "check --db or ISOPROBE_HISTORY, and ~/.pgpass or PGPASSWORD")
        }
    }
}
