import Foundation
import IsoprobeCore
import KVM
import Probes
import Testing

extension KernelTests {
    /// The kvm tracepoint probe, attached system-wide while this process runs a KVM-API
    /// guest that does port I/O (the calibration): kvm_pio must be counted. kvm_exit is
    /// counted too where it fires; under nested PVM it stays silent, and the result says so.
    @Suite(.enabled(if: (Requirements.rootAndBPF && FileManager.default.fileExists(atPath: "/dev/kvm")) || Requirements.inCI,
                    "needs root, kernel BTF and /dev/kvm"))
    struct KVMExitProbeTests {
        @Test func countsTheCalibrationGuestsExits() throws {
            try Requirements.requireKernelTestSetup()
            try #require(FileManager.default.fileExists(atPath: "/dev/kvm"), "no /dev/kvm: load kvm_intel or kvm_amd")
            let probe = KVMExitProbe(directory: Repo.probesDirectory)
            defer { probe.close() }
            try probe.attach(target: nil)
            try #require(probe.unavailable == nil, "kvm probe not attached: \(probe.unavailable ?? "")")
            let calibration = KVMCalibration.run(iterations: 10_000, timeLimit: 2)
            probe.workloadFinished()
            let exits = try probe.collect()
            #expect(exits.portIO >= 1, "the calibration guest's port I/O was not seen (\(calibration.description))")
            if FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm") {
                #expect(exits.exits == 0 || !exits.reasons.isEmpty)
                if exits.exits == 0 { #expect(exits.note?.contains("stayed silent") == true) }
            } else {
                #expect(exits.exits >= 1 && exits.entries >= 1, "no kvm_exit/kvm_entry seen on a host where they fire")
                #expect(exits.reasons.contains { $0.name == "IO_INSTRUCTION" || $0.name == "IOIO" }, "\(exits.reasons.map(\.name))")
            }
        }

        /// The kvm tracepoints are there, the object is garbage: an error naming it, not a
        /// result that quietly lacks the exits; the capability probe alike.
        @Test func garbageObjectsOfTheOptionalProbesAreErrors() throws {
            try Requirements.requireKernelTestSetup()
            let directory = temporaryPath("garbage-optional-probes")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for file in ["kvm.bpf.o", "capable.bpf.o"] {
                try Data("not an object\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + file))
            }
            let kvm = KVMExitProbe(directory: directory), capabilities = CapabilityProbe(directory: directory)
            defer { kvm.close(); capabilities.close() }
            for (attach, expected) in [({ try kvm.attach(target: nil) }, "the kvm exit probes cannot be opened: \(directory)/kvm.bpf.o: "),
                                       ({ try capabilities.attach(target: nil) }, "the capability probes cannot be opened: \(directory)/capable.bpf.o: ")]
                as [(() throws -> Void, String)] {
                do {
                    try attach()
                    Issue.record("no error; want: \(expected)")
                } catch {
                    #expect("\(error)".contains(expected), "\(error)")
                }
            }
        }
    }

    /// Exit reason names.
    @Suite struct KVMExitNameTests {
        @Test func names() {
            #expect(KVMExits.name(isa: 1, code: 30) == "IO_INSTRUCTION")
            #expect(KVMExits.name(isa: 2, code: 0x7b) == "IOIO")
            #expect(KVMExits.name(isa: 2, code: 0x4e) == "EXCP_14")
            #expect(KVMExits.name(isa: 1, code: 999) == "VMX_999")
        }
    }
}
