import CKVM

extension KVMCalibration {
    /// The hypervisor this host itself runs under, as CPUID's hypervisor leaf names it.
    ///
    /// The calibration times a loop in absolute ns, not relative to this host's own speed, so
    /// under an emulator (QEMU's TCG) a nested KVM guest's loop is translated and cached like
    /// the host's own code and comes out fast: /dev/kvm works and passes, but nothing it
    /// measures stands for KVM on hardware. The leaf tells such a host apart.
    public enum FirstLevelHost {
        /// Signatures of hypervisors that emulate the CPU instead of running it (VT-x/AMD-V
        /// hypervisors - KVMKVMKVM, Microsoft Hv, VMwareVMware, XenVMMXenVMM - run guest code
        /// on the CPU, and KVM nested inside them is KVM on hardware).
        public static let emulators = ["TCGTCGTCGTCG": "QEMU's TCG"]

        /// The 12-byte signature of leaf 0x40000000 (EBX, ECX, EDX), nil when CPUID leaf 1
        /// shows no hypervisor (ECX bit 31).
        public static func signature() -> String? {
            var regs: [UInt32] = [0, 0, 0, 0]
            isoprobe_cpuid(1, &regs)
            guard regs[2] & (1 << 31) != 0 else { return nil }
            isoprobe_cpuid(0x4000_0000, &regs)
            return signature(ebx: regs[1], ecx: regs[2], edx: regs[3])
        }

        /// The registers' bytes in order, NULs dropped; nil when none is printable.
        static func signature(ebx: UInt32, ecx: UInt32, edx: UInt32) -> String? {
            let bytes = [ebx, ecx, edx].flatMap { r in (0..<4).map { UInt8(truncatingIfNeeded: r >> (8 * $0)) } }
                .filter { $0 != 0 }
            guard !bytes.isEmpty, bytes.allSatisfy({ (0x20..<0x7f).contains($0) }) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// The emulator's name for a signature, nil for anything else.
        public static func emulator(_ signature: String?) -> String? {
            signature.flatMap { emulators[$0] }
        }
    }
}
