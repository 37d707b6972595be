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

        Each check is held, open (the config allows it, naming the setting) or a contradiction (the config closes the boundary, yet it was open: an escape). --policy says which open boundaries fail the run: hardened (default) requires every boundary isoprobe's hardened profile holds; config fails only on contradictions; a TOML file lists the check ids that must hold (required = ["proc.*", "net.reach_host"]).

        Exit status: 0 everything the policy requires held; 5 a required boundary was open, or a contradiction; 6 the control did not fail, so the run proves nothing; 2 bad usage or a config the runtime would refuse; 1 isoprobe could not run the checks; 3 something needed is missing.
          isoprobe verify --env container --junit verify.xml
          isoprobe verify --env container --oci-config config.json --policy config --no-neighbours
        """)

    @Option(name: .customLong("env"), help: "Environment of guests A and B: container or vm.")
    var environment = GuestKind.container

    @Option(name: .customLong("oci-config"), help: "Run A and B with this config.json; each verdict is judged by what it allows.")
    var ociConfig: String?

    @Option(name: .customLong("policy"), help: "Which open boundaries fail the run: hardened (every boundary the hardened profile holds), config (only contradictions of the config), or a TOML file of required check ids.")
    var policy = PolicyChoice.hardened

    @Option(name: .customLong("json"), help: "Write the report as JSON to FILE.")
    var jsonFile: String?

    @Option(name: .customLong("junit"), help: "Write the verdicts as JUnit XML to FILE.")
    var junitFile: String?

    @Option(name: .customLong("sarif"), help: "Write every check with its class as SARIF 2.1.0 to FILE.")
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
            let verdictPolicy = try policy.resolve()
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
                var options = VMEnvironment.Options(kernelPath: guest.kernel, accel: guest.accel ?? .auto)
                options.calibrate = !guest.noCalibration
                target = .vm(options)
            case .container:
                target = .container(.init(runtime: guest.runtime, ociConfigPath: ociConfig))
            }
            let run = VerifyRun(target: target, policy: verdictPolicy, neighbours: !noNeighbours,
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
