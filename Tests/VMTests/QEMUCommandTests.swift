import Foundation
import IsoprobeCore
import Testing
@testable import VM

@Suite struct QEMUCommandTests {
    let kernel = GuestKernel(path: "/cache/vmlinux-6.12.117+deb12-amd64", format: .vmlinuxPVH,
                             version: "6.12.117+deb12-amd64")

    func command(_ accelerator: Accelerator = .tcg, agent: AgentPort? = nil,
                 extra: [String] = [], tsc: Int? = 2_596_146) -> QEMUCommand {
        QEMUCommand(accelerator: accelerator, vcpus: 2, memoryMiB: 512, kernel: kernel, initramfs: "/tmp/w/initramfs.cpio",
                    kernelArguments: extra, tscKHz: tsc, console: .inheritedSocket(fd: 3),
                    consoleLog: "/tmp/w/console.log", agent: agent)
    }

    @Test func tcgBootArgv() {
        #expect(command().argv == [
            "qemu-system-x86_64",
            "-M", "microvm", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-accel", "tcg", "-cpu", "max,la57=off",
            "-m", "512", "-smp", "2",
            "-kernel", "/cache/vmlinux-6.12.117+deb12-amd64", "-initrd", "/tmp/w/initramfs.cpio",
            "-append", "console=ttyS0 quiet panic=-1 cryptomgr.notests tsc_early_khz=2596146 tsc=reliable",
            "-chardev", "socket,id=console,fd=3,logfile=/tmp/w/console.log", "-serial", "chardev:console",
        ])
    }

    /// A scratch disk is a raw virtio-blk drive whose flushes reach the host; a comma in
    /// its path is doubled, as QEMU's option syntax wants.
    @Test func disksAreVirtioDrives() {
        var c = command()
        c.disks = ["/tmp/w/scratch.img", "/tmp/a,b/x.img"]
        let argv = c.argv
        #expect(argv.contains(sequence: ["-drive", "file=/tmp/w/scratch.img,if=virtio,format=raw,cache=writeback"]))
        #expect(argv.contains(sequence: ["-drive", "file=/tmp/a,,b/x.img,if=virtio,format=raw,cache=writeback"]))
        #expect(!command().argv.contains("-drive"))
    }

    @Test func kvmRunsTheHostCPUModel() {
        let argv = command(.kvm).argv
        #expect(argv.contains(sequence: ["-accel", "kvm", "-cpu", "host"]))
        #expect(!argv.contains("tcg"))
    }

    /// isoprobe's arguments first, the caller's after them: the kernel takes the last of a repeated one.
    @Test func kernelCommandLine() {
        #expect(QEMUCommand.kernelCommandLine(tscKHz: nil, extra: [])
                == "console=ttyS0 quiet panic=-1 cryptomgr.notests")
        #expect(command(extra: ["loglevel=7", "rdinit=/sbin/init"]).commandLine
                == "console=ttyS0 quiet panic=-1 cryptomgr.notests tsc_early_khz=2596146 tsc=reliable loglevel=7 rdinit=/sbin/init")
    }

    @Test func isaSerialAgentIsCOM2AndNeedsNoPCI() {
        let agent = AgentPort(transport: .isaSerial, endpoint: .inheritedSocket(fd: 4))
        let argv = command(agent: agent).argv
        #expect(argv.contains(sequence: ["-M", "microvm", "-nodefaults"]))
        #expect(argv.suffix(4) == ["-chardev", "socket,id=agent,fd=4",
                                   "-device", "isa-serial,chardev=agent,iobase=0x2f8,irq=3"])
        #expect(agent.guestDevice == "/dev/ttyS1")
    }

    @Test func virtioSerialAgentTurnsOnPCIe() {
        let agent = AgentPort(transport: .virtioSerial, endpoint: .unixSocket(path: "/run/a.sock"))
        let argv = command(agent: agent).argv
        #expect(argv.contains(sequence: ["-M", "microvm,pcie=on"]))
        #expect(argv.suffix(6) == ["-device", "virtio-serial-pci,id=agentbus",
                                   "-chardev", "socket,id=agent,path=/run/a.sock",
                                   "-device", "virtserialport,bus=agentbus.0,chardev=agent,name=isoprobe.agent"])
        #expect(agent.guestDevice == "/dev/vport0p1")
    }

    /// QEMU splits option values on commas; a path holding one must survive.
    @Test func commasInPathsAreDoubled() {
        #expect(SerialEndpoint.unixSocket(path: "/tmp/a,b/s").chardev(id: "x") == "socket,id=x,path=/tmp/a,,b/s")
        #expect(SerialEndpoint.file(path: "/l/out").chardev(id: "c", logfile: "/l/x,y.log")
                == "file,id=c,path=/l/out,logfile=/l/x,,y.log")
        var withComma = command()
        withComma.consoleLog = "/tmp/w,1/console.log"
        #expect(withComma.argv.contains("socket,id=console,fd=3,logfile=/tmp/w,,1/console.log"))
    }

    @Test func validateRefusesWhatQEMUOrTheKernelWould() throws {
        try command().validate()
        var bad = command()
        bad.vcpus = 0
        #expect(throws: IsoprobeError.self) { try bad.validate() }
        bad = command()
        bad.memoryMiB = 32
        #expect(throws: IsoprobeError.self) { try bad.validate() }
        bad = command(extra: ["init=/bin/sh\nroot=/dev/vda"])
        #expect(throws: IsoprobeError.self) { try bad.validate() }
        bad = command(extra: [String(repeating: "x", count: 2100)])
        let error = #expect(throws: IsoprobeError.self) { try bad.validate() }
        #expect("\(error!)".contains("2047"))
    }

    @Test func agentTransportFollowsTheKernelConfig() throws {
        let directory = try VMTestSupport.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func transport(_ config: String?) throws -> AgentPort.Transport {
            var kernel = self.kernel
            if let config {
                kernel.configPath = directory + "/config"
                try config.write(toFile: directory + "/config", atomically: false, encoding: .utf8)
            }
            return AgentPort.transport(for: kernel)
        }
        // Debian 6.12: both built in. Debian 6.1: both modules.
        #expect(try transport("CONFIG_VIRTIO=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_CONSOLE=y\n") == .virtioSerial)
        #expect(try transport("CONFIG_VIRTIO=m\nCONFIG_VIRTIO_PCI=m\nCONFIG_VIRTIO_CONSOLE=m\n") == .isaSerial)
        #expect(try transport("CONFIG_VIRTIO_PCI=y\n# CONFIG_VIRTIO_CONSOLE is not set\n") == .isaSerial)
        #expect(try transport(nil) == .isaSerial)
    }
}

@Suite struct HostTSCTests {
    func withCPU(_ files: [String: String], cpuinfo: String?, _ body: (String, String) throws -> Void) throws {
        let directory = try VMTestSupport.temporaryDirectory("tsc")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cpu = directory + "/cpu0"
        for (name, contents) in files {
            let path = cpu + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try contents.write(toFile: path, atomically: false, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: cpu, withIntermediateDirectories: true)
        if let cpuinfo { try cpuinfo.write(toFile: directory + "/cpuinfo", atomically: false, encoding: .utf8) }
        try body(cpu, directory + "/cpuinfo")
    }

    let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2596.146\n\nprocessor\t: 1\ncpu MHz\t\t: 1800.000\n"

    @Test func sysfsTscFreqWins() throws {
        try withCPU(["tsc_freq_khz": "2999999\n"], cpuinfo: cpuinfo) { cpu, info in
            #expect(HostTSC.find(sysfsCPU: cpu, cpuinfo: info)?.kHz == 2_999_999)
        }
    }

    @Test func cpuMHzWithoutCpufreqIsTheTSCRate() throws {
        try withCPU([:], cpuinfo: cpuinfo) { cpu, info in
            let tsc = HostTSC.find(sysfsCPU: cpu, cpuinfo: info)
            #expect(tsc?.kHz == 2_596_146)
            #expect(tsc?.source.contains("no cpufreq") == true)
        }
    }

    /// With cpufreq, `cpu MHz` is the current clock: the base frequency is the better figure.
    @Test func cpufreqBaseFrequencyBeatsAScaledCpuMHz() throws {
        try withCPU(["cpufreq/base_frequency": "2100000\n"], cpuinfo: cpuinfo) { cpu, info in
            #expect(HostTSC.find(sysfsCPU: cpu, cpuinfo: info)?.kHz == 2_100_000)
        }
        try withCPU(["cpufreq/scaling_cur_freq": "800000\n"], cpuinfo: cpuinfo) { cpu, info in
            let tsc = HostTSC.find(sysfsCPU: cpu, cpuinfo: info)
            #expect(tsc?.kHz == 2_596_146)
            #expect(tsc?.source.contains("may follow cpufreq") == true)
        }
    }

    @Test func nothingReadableIsNil() throws {
        try withCPU([:], cpuinfo: nil) { cpu, info in
            #expect(HostTSC.find(sysfsCPU: cpu, cpuinfo: info) == nil)
        }
    }

    @Test func thisHostHasARate() {
        let tsc = HostTSC.find()
        #expect((tsc?.kHz ?? 0) > 100_000, "\(String(describing: tsc))")
    }
}

extension Array where Element: Equatable {
    func contains(sequence: [Element]) -> Bool {
        guard sequence.count <= count else { return false }
        return (0...(count - sequence.count)).contains { Array(self[$0..<$0 + sequence.count]) == sequence }
    }
}
