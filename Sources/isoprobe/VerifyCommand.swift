import ArgumentParser
import Container
import Diagnostics
import Environments
import Foundation
import Harness
import Host
import IsoprobeCore
import KVM
import VMEnvironment
import Verify

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the security boundaries between guests and the host, and what a noisy neighbour costs.",
        discussion: """
        Starts two guests, A and B, of one environment, plants canaries in B and on the host, and reports from inside A which boundaries held. A weakened container runs the same checks as a control: it must fail them, or the run is invalid.

        Exit status: 0 every required boundary held; 1 a boundary was breached or a verdict contradicts --oci-config; 3 the control did not fail; 2 bad usage.
          isoprobe verify --env container --junit verify.xml
          isoprobe verify --env container --oci-config config.json --no-neighbours
        """)

    @Option(name: .customLong("env"), help: "Environment of guests A and B: container or vm.")
    var environment = GuestKind.container

    @Option(name: .customLong("oci-config"), help: "Run A and B with this config.json; each verdict is judged by what it allows.")
    var ociConfig: String?

    @Option(name: .customLong("json"), help: "Write the report as JSON to FILE.")
    var jsonFile: String?

    @Option(name: .customLong("junit"), help: "Write the verdicts as JUnit XML to FILE.")
    var junitFile: String?

    @Option(name: .customLong("sarif"), help: "Write the breaches as SARIF 2.1.0 to FILE.")
    var sarifFile: String?

    @Flag(name: .customLong("no-neighbours"), help: "Leave out performance isolation (noisy neighbours).")
    var noNeighbours = false

    @OptionGroup var guest: GuestOptions

    @OptionGroup var resourceOptions: ResourceOptions

    func validate() throws {
        if environment == .vm, ociConfig != nil {
            throw ValidationError("--oci-config applies to --env container")
        }
        try guest.checkApplies(to: [environment.kind])
        try GuestOptions.checkOCIConfig(ociConfig)
    }

    func run() throws {
        Interruption.shared.install()
        Leftovers.sweepWithNotice()
        let report: VerifyReport
        do {
            guard geteuid() == 0 else {
                throw IsoprobeError(.missing, "verify needs root (it loads probes and starts containers)",
                                    fix: "run it with sudo")
            }
            try Doctor.requireRunPrerequisites()
            let resources = try Resources.locate(probesDirectory: resourceOptions.probesDirectory)
            let target: VerifyRun.Target
            switch environment {
            case .vm:
                guard VMEnvironment.qemuPath != nil else {
                    throw IsoprobeError(.missing, "--env vm needs QEMU (qemu-system-x86_64) on PATH",
                                        fix: "install qemu-system-x86 (`make deps`)")
                }
                target = .vm(.init(kernelPath: guest.kernel, accel: guest.accel ?? .auto))
            case .container:
                target = .container(.init(runtime: guest.runtime, ociConfigPath: ociConfig))
            }
            let run = VerifyRun(target: target, neighbours: !noNeighbours,
                                controlRuntime: environment == .container ? guest.runtime : "runc")
            report = try run.run(resources: resources) { step in
                FileHandle.standardError.write(Data("isoprobe: \(step)\n".utf8))
            }
            if let jsonFile { try OutputFile.write(try report.jsonData(), to: jsonFile) }
            if let junitFile { try OutputFile.write(Data(report.junit().utf8), to: junitFile) }
            if let sarifFile { try OutputFile.write(try report.sarif(), to: sarifFile) }
        } catch {
            fail(error)
        }
        print(report.text(), terminator: "")
        if report.exitStatus != .success { throw ExitCode(report.exitStatus.rawValue) }
    }
}
