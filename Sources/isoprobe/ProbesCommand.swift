import ArgumentParser
import Diagnostics
import Foundation
import Harness
import IsoprobeCore
import Reports

struct ProbesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probes",
        abstract: "Load and attach every probe on this kernel, then detach: what works, through what, and why not.")

    @OptionGroup var resources: ResourceOptions

    func run() throws {
        do {
            try Doctor.requireRunPrerequisites()
            let results = ProbeCheck.run(resources: try Resources.locate(probesDirectory: resources.probesDirectory))
            var table = Table(["family", "program", "attach point", "status"])
            for r in results {
                let status = r.attached ? "attached" : (r.selected ? "FAILED: \(r.reason ?? "")" : "skipped: \(r.reason ?? "")")
                table.add([r.family.rawValue, r.program, r.section, status])
            }
            print(table.render(indent: ""), terminator: "")
            if results.contains(where: { $0.selected && !$0.attached }) { throw ExitCode(ExitStatus.failed.rawValue) }
        } catch let e as ExitCode {
            throw e
        } catch {
            fail(error)
        }
    }
}
