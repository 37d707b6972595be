/// The accelerator a guest actually runs with: KVM, or QEMU's TCG emulation.
public enum Accelerator: String, Sendable, CaseIterable, Codable {
    case kvm, tcg
}
