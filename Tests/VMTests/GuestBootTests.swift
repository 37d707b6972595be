import Foundation
import GuestImage
import Testing
@testable import VM

/// Two real boots under TCG (about 2 s each here): one that runs to its power-off, one that
/// never ends and is killed at its timeout. Both must leave no QEMU and no files behind.
@Suite(.serialized, .enabled(if: VMTestSupport.canBoot || VMTestSupport.inCI, VMTestSupport.bootSkipReason))
struct GuestBootTests {
    func configuration(init commands: String) throws -> GuestBoot.Configuration {
        _ = try #require(VMTestSupport.qemu, "qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
        let kernel = try KernelLocator().locate()
        try #require(VMTestSupport.staticBusybox, "no static /bin/busybox (apt-get install busybox-static)")
        let root = try FileSet.guestRoot(workloads: [])
        return GuestBoot.Configuration(kernel: kernel, root: root, initScript: GuestInit.script(running: commands))
    }

    func expectNothingLeft(_ outcome: GuestBoot.Outcome, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!VMTestSupport.processExists(outcome.qemuProcessID), "QEMU \(outcome.qemuProcessID) still exists",
                sourceLocation: sourceLocation)
        #expect(VMTestSupport.processes(mentioning: outcome.workDirectory).isEmpty, sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: outcome.workDirectory),
                "\(outcome.workDirectory) left behind", sourceLocation: sourceLocation)
    }

    @Test func bootsToTheMarkerAndPowersOff() throws {
        var configuration = try configuration(init: "")
        let kernel = configuration.kernel
        let agent = AgentPort.transport(for: kernel)
        let device = agent.guestDevice
        configuration.initScript = """
            #!/bin/sh
            mount -t proc proc /proc
            mount -t devtmpfs devtmpfs /dev
            echo AGENT-HELLO > \(device)
            echo ISOPROBE-GUEST-OK $(uname -r)
            poweroff -f

            """
        configuration.marker = "ISOPROBE-GUEST-OK"
        configuration.agentTransport = agent
        configuration.timeout = .seconds(60)

        let outcome = try GuestBoot(configuration).run()
        let t = outcome.timings
        print("guest boot (\(kernel.format.rawValue) \(kernel.version), \(outcome.initramfsBytes / 1024) KiB cpio, agent \(agent.rawValue)):"
              + " initramfs \(VMTestSupport.seconds(t.initramfs)), spawn -> first console byte \(VMTestSupport.seconds(t.toFirstConsoleByte)),"
              + " -> marker \(VMTestSupport.seconds(t.toMarker)), -> QEMU exit \(VMTestSupport.seconds(t.toExit))")

        #expect(outcome.end == .exited(status: 0), "console:\n\(outcome.console)\nqemu:\n\(outcome.qemuLog)")
        #expect(outcome.poweredOff, "console:\n\(outcome.console)")
        #expect(outcome.markerLine == "ISOPROBE-GUEST-OK \(kernel.version)", "console:\n\(outcome.console)")
        #expect(outcome.console.contains("reboot: Power down"), "the kernel says it powered off")
        #expect(String(decoding: outcome.agentOutput, as: UTF8.self).contains("AGENT-HELLO"),
                "agent channel (\(agent.rawValue), \(device)) got \(outcome.agentOutput.count) bytes")
        let first = try #require(t.toFirstConsoleByte)
        let marker = try #require(t.toMarker)
        #expect(first <= marker && marker <= t.toExit)
        #expect(outcome.qemuLog.isEmpty, "QEMU complained: \(outcome.qemuLog)")
        expectNothingLeft(outcome)
    }

    @Test func aGuestThatNeverEndsIsKilledAtTheTimeout() throws {
        var configuration = try configuration(init: "echo ISOPROBE-GUEST-WAITING\nwhile true; do sleep 1; done")
        configuration.marker = "ISOPROBE-GUEST-WAITING"
        configuration.timeout = .seconds(5)
        let logs = try VMTestSupport.temporaryDirectory("kept-logs")
        defer { try? FileManager.default.removeItem(atPath: logs) }
        configuration.logDirectory = logs

        let outcome = try GuestBoot(configuration).run()
        print("never-ending guest: marker after \(VMTestSupport.seconds(outcome.timings.toMarker)),"
              + " killed and reaped after \(VMTestSupport.seconds(outcome.timings.toExit))")

        #expect(outcome.end == .timedOut(after: .seconds(5)))
        #expect(!outcome.poweredOff)
        #expect(outcome.timings.toMarker != nil, "the guest was running when killed; console:\n\(outcome.console)")
        #expect(outcome.timings.toExit >= .seconds(5) && outcome.timings.toExit < .seconds(7))
        expectNothingLeft(outcome)
        // Asked for: the logs stay, and hold what the guest printed.
        let consoleLog = try String(contentsOfFile: logs + "/console.log", encoding: .utf8)
        #expect(consoleLog.contains("ISOPROBE-GUEST-WAITING"))
        #expect(FileManager.default.fileExists(atPath: logs + "/qemu.log"))
    }
}
