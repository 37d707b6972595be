/// `kvm_run.exit_reason`, named as in linux/kvm.h.
public struct KVMExitReason: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let io = KVMExitReason(rawValue: 2)
    public static let hlt = KVMExitReason(rawValue: 5)
    public static let shutdown = KVMExitReason(rawValue: 8)
    public static let failEntry = KVMExitReason(rawValue: 9)
    public static let intr = KVMExitReason(rawValue: 10)
    public static let internalError = KVMExitReason(rawValue: 17)

    static let names = [
        "UNKNOWN", "EXCEPTION", "IO", "HYPERCALL", "DEBUG", "HLT", "MMIO", "IRQ_WINDOW_OPEN", "SHUTDOWN",
        "FAIL_ENTRY", "INTR", "SET_TPR", "TPR_ACCESS", "S390_SIEIC", "S390_RESET", "DCR", "NMI",
        "INTERNAL_ERROR", "OSI", "PAPR_HCALL", "S390_UCONTROL", "WATCHDOG", "S390_TSCH", "EPR",
        "SYSTEM_EVENT", "S390_STSI", "IOAPIC_EOI", "HYPERV", "ARM_NISV", "X86_RDMSR", "X86_WRMSR",
        "DIRTY_RING_FULL", "AP_RESET_HOLD", "X86_BUS_LOCK", "XEN", "RISCV_SBI", "RISCV_CSR", "NOTIFY",
        "LOONGARCH_IOCSR", "MEMORY_FAULT",
    ]

    /// "KVM_EXIT_IO", or "KVM_EXIT_<n>" for a number this table does not know.
    public var name: String {
        rawValue >= 0 && Int(rawValue) < Self.names.count ? "KVM_EXIT_" + Self.names[Int(rawValue)] : "KVM_EXIT_\(rawValue)"
    }

    public var description: String { name }
}
