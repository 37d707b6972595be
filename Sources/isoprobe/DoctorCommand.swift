import ArgumentParser
import Diagnostics
import Foundation
import Harness
import IsoprobeCore
import Reports

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what isoprobe needs on this host and print the command that fixes what is missing.")

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        let checks = Doctor.run(probesDirectory: resources.probesDirectory)
        var table = Table(["check", "status", "detail", "fix"])
        for c in checks {
            table.add([c.name, c.ok ? "ok" : (c.required ? "MISSING" : "missing"), c.detail, c.fix ?? ""])
        }
        print(table.render(indent: ""), terminator: "")
        if checks.contains(where: { $0.required && !$0.ok }) { throw ExitCode(ExitStatus.missing.rawValue) }
    }
}
