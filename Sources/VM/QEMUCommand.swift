import IsoprobeCore

/// The argv of a qemu-system-x86_64 that boots `kernel` with `initramfs` as its root on a
/// microvm: no firmware tables to parse, no PCI scan unless the agent channel needs it, no
/// devices but the console (ttyS0) and the optional agent channel. The guest powering off,
/// rebooting or panicking (`panic=-1`, `-no-reboot`) ends QEMU. Building spawns nothing.
///
/// Measured under TCG on the development VM (Debian 6.12 kernel, busybox initramfs, 1 vCPU):
/// about 1.75 s from spawn to QEMU's exit with a PVH vmlinux, 2.3 s with the bzImage;
/// `-cpu max` adds 0.8 s (5-level paging, which `la57=off` removes); microvm's `rtc=off`
/// adds 2 s; `x-option-roms=off`, `pit=off` and `pic=off` change nothing measurable.
public struct QEMUCommand: Equatable, Sendable {
    public static let defaultExecutable = "qemu-system-x86_64"
    /// x86's COMMAND_LINE_SIZE.
    public static let maximumCommandLine = 2047

    public var executable: String
    public var accelerator: Accelerator
    public var vcpus: Int
    public var memoryMiB: Int
    public var kernel: GuestKernel
    public var initramfs: String
    /// Added after isoprobe's own arguments, so they can override them (the last one wins).
    public var kernelArguments: [String]
    /// The host TSC rate for `tsc_early_khz=`; leave nil only under KVM, where kvm-clock serves.
    public var tscKHz: Int?
    /// The guest's ttyS0: kernel messages, then whatever /init writes.
    public var console: SerialEndpoint
    /// A file that gets a copy of everything written to the console.
    public var consoleLog: String?
    public var agent: AgentPort?
    /// Raw disk images, attached as virtio-blk devices (/dev/vda, /dev/vdb...). The host's
    /// page cache sits under them (cache=writeback) and a guest flush reaches the host disk.
    public var disks: [String] = []
    /// A QMP monitor (to pause and resume the guest); nil: none.
    public var monitor: SerialEndpoint?
    /// Host folders shared over 9p (they put the machine on PCIe, like a virtio agent channel).
    public var shares: [HostShare] = []
    /// A virtio-net card on a tap QEMU inherits (`GuestNetworkCard`); nil: none.
    public var network: GuestNetworkCard?
    /// A storage workload's raw disk; nil: none.
    public var blockDrive: QEMUBlockDrive?

    public init(executable: String = QEMUCommand.defaultExecutable, accelerator: Accelerator,
                vcpus: Int = 1, memoryMiB: Int = 256, kernel: GuestKernel, initramfs: String,
                kernelArguments: [String] = [], tscKHz: Int?, console: SerialEndpoint,
                consoleLog: String? = nil, agent: AgentPort? = nil) {
        self.executable = executable
        self.accelerator = accelerator
        self.vcpus = vcpus
        self.memoryMiB = memoryMiB
        self.kernel = kernel
        self.initramfs = initramfs
        self.kernelArguments = kernelArguments
        self.tscKHz = tscKHz
        self.console = console
        self.consoleLog = consoleLog
        self.agent = agent
    }

    /// The whole argv, executable first.
    public var argv: [String] {
        [executable]
            + Self.machineArguments(agent: agent, pcie: !shares.isEmpty || network != nil)
            + Self.acceleratorArguments(accelerator)
            + ["-m", String(memoryMiB), "-smp", String(vcpus)]
            + ["-kernel", kernel.path, "-initrd", initramfs]
            + ["-append", commandLine]
            + Self.consoleArguments(console, log: consoleLog)
            + (agent?.arguments() ?? [])
            + (monitor.map { ["-chardev", $0.chardev(id: "monitor"), "-mon", "chardev=monitor,mode=control"] } ?? [])
            + shares.enumerated().flatMap { $1.arguments(index: $0) }
            + disks.flatMap { ["-drive", "file=\($0.replacingOccurrences(of: ",", with: ",,")),if=virtio,format=raw,cache=writeback"] }
            + (network.map { GuestNetworkCard.arguments(vhost: $0.vhost, mac: $0.mac) } ?? [])
            + (blockDrive?.arguments(pci: agent?.transport == .virtioSerial) ?? [])
    }

    public var commandLine: String {
        Self.kernelCommandLine(tscKHz: tscKHz, extra: kernelArguments)
    }

    /// Refuses what QEMU or the guest kernel would reject later, less clearly.
    public func validate() throws {
        guard vcpus >= 1, vcpus <= 255 else {
            throw IsoprobeError(.usage, "guest vCPUs \(vcpus): must be 1 to 255")
        }
        guard memoryMiB >= 64 else {
            throw IsoprobeError(.usage, "guest memory \(memoryMiB) MiB: the guest kernel needs at least 64 MiB")
        }
        if let bad = kernelArguments.first(where: { $0.isEmpty || $0.contains(where: \.isNewline) }) {
            throw IsoprobeError(.usage, "kernel argument \(bad.debugDescription): empty or holds a line break")
        }
        guard commandLine.utf8.count <= Self.maximumCommandLine else {
            throw IsoprobeError(.usage, "kernel command line is \(commandLine.utf8.count) bytes, "
                                + "more than the \(Self.maximumCommandLine) an x86 kernel keeps")
        }
    }

    // MARK: - Pieces

    /// microvm with its defaults; PCIe only for a virtio agent channel, 9p shares or a network
    /// card (it costs boot time). No firmware, monitor, display or default devices; a guest
    /// reboot ends QEMU.
    public static func machineArguments(agent: AgentPort?, pcie: Bool = false) -> [String] {
        let machine = agent?.transport == .virtioSerial || pcie ? "microvm,pcie=on" : "microvm"
        return ["-M", machine, "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"]
    }

    /// KVM runs the host's CPU model. TCG runs `max` without 5-level paging: every TCG
    /// feature the guest may use, minus the page walk that costs 0.8 s of boot.
    public static func acceleratorArguments(_ accelerator: Accelerator) -> [String] {
        switch accelerator {
        case .kvm: return ["-accel", "kvm", "-cpu", "host"]
        case .tcg: return ["-accel", "tcg", "-cpu", "max,la57=off"]
        }
    }

    /// ttyS0 for messages (`quiet`: errors only), any panic reboots (and so ends QEMU) at once,
    /// no crypto self-tests, and the TSC rate given rather than calibrated.
    ///
    /// Under TCG the guest's TSC is the host's, so it keeps time; but a microvm has no HPET or
    /// ACPI timer, and the kernel's clocksource watchdog compares the TSC with jiffies, which
    /// lose ticks whenever the host is slow to run the vCPU (115 ms in 508 seen here). It then
    /// marks the TSC unstable and falls back to refined-jiffies: every clock in the guest,
    /// wall and CPU time alike, moves in 4 ms steps and runs slow by what the host's load
    /// took. `tsc=reliable` keeps the TSC.
    public static func kernelCommandLine(tscKHz: Int?, extra: [String]) -> String {
        (["console=ttyS0", "quiet", "panic=-1", "cryptomgr.notests"]
            + (tscKHz.map { ["tsc_early_khz=\($0)", "tsc=reliable"] } ?? [])
            + extra).joined(separator: " ")
    }

    /// microvm's ISA serial port is ttyS0, given the first `-serial`.
    public static func consoleArguments(_ endpoint: SerialEndpoint, log: String?) -> [String] {
        ["-chardev", endpoint.chardev(id: "console", logfile: log), "-serial", "chardev:console"]
    }

    /// QEMU's option parser splits on commas; a comma inside a value is written twice.
    public static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: ",", with: ",,")
    }
}
