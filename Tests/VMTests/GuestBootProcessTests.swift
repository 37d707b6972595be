import Foundation
import GuestImage
import IsoprobeCore
import Testing
@testable import VM

/// GuestBoot's process handling with stand-ins for QEMU (shell scripts given QEMU's argv):
/// no kernel is booted, so these run everywhere.
@Suite struct GuestBootProcessTests {
    func configuration(qemu: String, timeout: Duration) -> GuestBoot.Configuration {
        var configuration = GuestBoot.Configuration(
            kernel: GuestKernel(path: "/nonexistent/vmlinux-0", format: .vmlinuxPVH, version: "0"),
            root: FileSet(), initScript: GuestInit.script(running: "true"))
        configuration.qemu = qemu
        configuration.timeout = timeout
        configuration.tscKHz = 1_000_000
        return configuration
    }

    func script(_ directory: String, _ body: String) throws -> String {
        let path = directory + "/fake-qemu"
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// QEMU refusing its arguments: its exit status and message come back, nothing is left.
    @Test func qemuFailingAtOnceIsReportedWithItsMessage() throws {
        let directory = try VMTestSupport.temporaryDirectory("fake-qemu")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = try script(directory, "echo \"qemu-system-x86_64: -device bogus: not found\" >&2\nexit 1")
        let outcome = try GuestBoot(configuration(qemu: fake, timeout: .seconds(10))).run()
        #expect(outcome.end == .exited(status: 1))
        #expect(!outcome.poweredOff)
        #expect(outcome.qemuLog.contains("-device bogus"))
        #expect(outcome.console.isEmpty && outcome.timings.toFirstConsoleByte == nil)
        #expect(outcome.timings.toExit < .seconds(5))
        #expect(!FileManager.default.fileExists(atPath: outcome.workDirectory))
    }

    /// The console socket reaches QEMU as fd 3, and what is written there is the console.
    @Test func consoleIsDescriptorThreeAndTheMarkerIsTimed() throws {
        let directory = try VMTestSupport.temporaryDirectory("fake-qemu")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = try script(directory, "printf 'boot\\r\\nMARK 42\\r\\n' >&3\nsleep 0.2")
        var configuration = configuration(qemu: fake, timeout: .seconds(10))
        configuration.marker = "MARK"
        let outcome = try GuestBoot(configuration).run()
        #expect(outcome.end == .exited(status: 0))
        #expect(outcome.console == "boot\nMARK 42\n")
        #expect(outcome.markerLine == "MARK 42")
        #expect(outcome.timings.toMarker != nil)
        #expect(outcome.poweredOff)
    }

    /// At the timeout the whole process group goes, not only its leader.
    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let directory = try VMTestSupport.temporaryDirectory("fake-qemu")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A child in the background, holding the console open, and the leader; both carry
        // QEMU's argv (so the work directory) in their command lines.
        let fake = try script(directory, """
            sh -c 'while :; do sleep 1; done' child "$@" &
            exec sh -c 'while :; do sleep 1; done' leader "$@"
            """)
        let outcome = try GuestBoot(configuration(qemu: fake, timeout: .seconds(1))).run()
        #expect(outcome.end == .timedOut(after: .seconds(1)))
        #expect(outcome.timings.toExit < .seconds(3))
        #expect(!VMTestSupport.processExists(outcome.qemuProcessID))
        #expect(VMTestSupport.processes(mentioning: outcome.workDirectory).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: outcome.workDirectory))
    }

    /// QEMU gone while something it started still holds the console: not a timeout.
    @Test func exitOfTheLeaderEndsTheRunEvenWithTheConsoleStillOpen() throws {
        let directory = try VMTestSupport.temporaryDirectory("fake-qemu")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = try script(directory, """
            sh -c 'while :; do sleep 1; done' child "$@" &
            echo bye >&3
            exit 0
            """)
        let outcome = try GuestBoot(configuration(qemu: fake, timeout: .seconds(20))).run()
        #expect(outcome.end == .exited(status: 0))
        #expect(outcome.console == "bye\n")
        #expect(outcome.timings.toExit < .seconds(5))
        #expect(VMTestSupport.processes(mentioning: outcome.workDirectory).isEmpty)
    }

    @Test func missingQEMUIsOneLineWithTheFix() throws {
        let error = #expect(throws: IsoprobeError.self) {
            try GuestBoot(configuration(qemu: "qemu-system-nonexistent-arch", timeout: .seconds(1))).run()
        }
        #expect(error?.kind == .missing)
        #expect("\(error!)".contains("apt-get install qemu-system-x86"))
    }
}

extension GuestBootProcessTests {
    /// QEMU would refuse it ("initrd is too large"); said before starting it, with the fix.
    @Test func rootLargerThanGuestMemoryIsRefusedBeforeQEMUStarts() throws {
        let directory = try VMTestSupport.temporaryDirectory("big-root")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = configuration(qemu: "/bin/false", timeout: .seconds(5))
        configuration.memoryMiB = 64
        var root = FileSet()
        try root.addFile(at: "/big", contents: Data(count: 65 << 20))
        configuration.root = root
        configuration.temporaryDirectory = directory
        let error = #expect(throws: IsoprobeError.self) { try GuestBoot(configuration).run() }
        #expect("\(error!)".contains("MiB of memory"), "\(error!)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "the work directory is removed")
    }
}
