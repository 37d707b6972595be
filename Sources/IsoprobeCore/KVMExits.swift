/// VM exits of a VMM's vCPU threads by reason, and what handling each cost (exit to the
/// next entry), from the kvm tracepoints, as `perf kvm stat` reports them.
public struct KVMExits: Codable, Sendable, Equatable {
    public struct Reason: Codable, Sendable, Equatable {
        /// "vmx" or "svm".
        public var isa: String
        public var code: UInt32
        public var name: String
        public var count: UInt64
        public var totalNs: UInt64
        public var latencyHist: Log2Histogram

        public init(isa: String, code: UInt32, name: String, count: UInt64, totalNs: UInt64, latencyHist: Log2Histogram) {
            self.isa = isa
            self.code = code
            self.name = name
            self.count = count
            self.totalNs = totalNs
            self.latencyHist = latencyHist
        }
    }

    public var exits: UInt64
    public var entries: UInt64
    /// Port I/O seen by KVM (kvm_pio), which also fires where kvm_exit does not.
    public var portIO: UInt64
    public var reasons: [Reason]
    /// Why there is nothing to show, when the tracepoints stayed silent.
    public var note: String?

    /// `portIO` is written `port_io`; read back through the snake-case decoder that is
    /// `portIo`, so the key names itself that way (else no KVM run's document reads back).
    enum CodingKeys: String, CodingKey {
        case exits, entries, reasons, note
        case portIO = "portIo"
    }

    public init(exits: UInt64, entries: UInt64, portIO: UInt64, reasons: [Reason], note: String? = nil) {
        self.exits = exits
        self.entries = entries
        self.portIO = portIO
        self.reasons = reasons
        self.note = note
    }

    /// Names of the common exit reasons (Intel SDM appendix C; AMD APM vol. 2 appendix C).
    public static func name(isa: UInt32, code: UInt32) -> String {
        if isa == 1, let n = vmx[code] { return n }
        if isa == 2 {
            if let n = svm[code] { return n }
            if (0x40...0x5f).contains(code) { return "EXCP_\(code - 0x40)" }
        }
        return (isa == 2 ? "SVM_" : "VMX_") + String(code)
    }

    static let vmx: [UInt32: String] = [
        0: "EXCEPTION_NMI", 1: "EXTERNAL_INTERRUPT", 2: "TRIPLE_FAULT", 7: "INTERRUPT_WINDOW",
        8: "NMI_WINDOW", 9: "TASK_SWITCH", 10: "CPUID", 12: "HLT", 13: "INVD", 14: "INVLPG", 15: "RDPMC",
        16: "RDTSC", 18: "VMCALL", 28: "CR_ACCESS", 29: "DR_ACCESS", 30: "IO_INSTRUCTION", 31: "MSR_READ",
        32: "MSR_WRITE", 33: "INVALID_STATE", 36: "MWAIT_INSTRUCTION", 39: "MONITOR_INSTRUCTION",
        40: "PAUSE_INSTRUCTION", 43: "TPR_BELOW_THRESHOLD", 44: "APIC_ACCESS", 45: "EOI_INDUCED",
        46: "GDTR_IDTR", 47: "LDTR_TR", 48: "EPT_VIOLATION", 49: "EPT_MISCONFIG", 50: "INVEPT", 51: "RDTSCP",
        52: "PREEMPTION_TIMER", 53: "INVVPID", 54: "WBINVD", 55: "XSETBV", 56: "APIC_WRITE", 57: "RDRAND",
        58: "INVPCID", 62: "PML_FULL", 63: "XSAVES", 64: "XRSTORS", 67: "UMWAIT", 68: "TPAUSE", 74: "BUS_LOCK",
        75: "NOTIFY",
    ]

    static let svm: [UInt32: String] = [
        0x000: "READ_CR0", 0x003: "READ_CR3", 0x004: "READ_CR4", 0x008: "READ_CR8", 0x010: "WRITE_CR0",
        0x013: "WRITE_CR3", 0x014: "WRITE_CR4", 0x018: "WRITE_CR8", 0x060: "INTR", 0x061: "NMI", 0x062: "SMI",
        0x063: "INIT", 0x064: "VINTR", 0x065: "CR0_SEL_WRITE", 0x06e: "RDPMC", 0x072: "CPUID", 0x073: "RSM",
        0x074: "IRET", 0x076: "INVD", 0x077: "PAUSE", 0x078: "HLT", 0x079: "INVLPG", 0x07a: "INVLPGA",
        0x07b: "IOIO", 0x07c: "MSR", 0x07d: "TASK_SWITCH", 0x07f: "SHUTDOWN", 0x081: "VMMCALL", 0x087: "RDTSCP",
        0x089: "WBINVD", 0x08a: "MONITOR", 0x08b: "MWAIT", 0x08d: "XSETBV", 0x08e: "RDPRU", 0x400: "NPF",
        0x401: "AVIC_INCOMPLETE_IPI", 0x402: "AVIC_UNACCELERATED_ACCESS",
    ]
}
