import CKVM
import Foundation

extension KVMCalibration {
    /// How far opening /dev/kvm and creating the VM and its vCPU got.
    struct Setup: Sendable, Equatable {
        var openErrno: Int32?
        var apiVersion: Int?
        var vmCreated = false
        var vcpuCreated = false
        var failure: Failure?
    }
}

/// A VM with one vCPU, through CKVM. One thread sets it up, runs and closes it; another may
/// only `kick` it, and only between set-up and close (the caller keeps the two apart).
final class KVMVCPU: @unchecked Sendable {
    private let vcpu: UnsafeMutablePointer<isoprobe_kvm_vcpu>

    init() {
        vcpu = .allocate(capacity: 1)
        isoprobe_kvm_init(vcpu)
    }

    deinit {
        isoprobe_kvm_close(vcpu)
        vcpu.deallocate()
    }

    /// Opens /dev/kvm, creates the VM, then the vCPU, telling `report` how far it got after
    /// each step (a step can hang in the kernel); false when one failed.
    func setUp(report: (KVMCalibration.Setup) -> Void) -> Bool {
        for step in [isoprobe_kvm_open, isoprobe_kvm_create_vm, isoprobe_kvm_create_vcpu] {
            let ok = step(vcpu) == 0
            report(setup)
            guard ok else { return false }
        }
        return true
    }

    var setup: KVMCalibration.Setup {
        let v = vcpu.pointee
        return KVMCalibration.Setup(openErrno: v.kvm_fd < 0 && v.open_errno != 0 ? v.open_errno : nil,
                                    apiVersion: v.api_version >= 0 ? Int(v.api_version) : nil,
                                    vmCreated: v.vm_fd >= 0, vcpuCreated: v.vcpu_fd >= 0, failure: failure)
    }

    private var failure: KVMCalibration.Failure? {
        vcpu.pointee.failed_step.map { KVMCalibration.Failure(step: String(cString: $0), errno: vcpu.pointee.failed_errno) }
    }

    /// One KVM_RUN; a failure when it could not be started.
    func run(_ run: KVMCalibration.Run) -> Result<KVMCalibration.Sample, KVMCalibration.Failure> {
        var exit = isoprobe_kvm_exit()
        guard isoprobe_kvm_run(vcpu, run.program.guestProgram, UInt32(clamping: run.iterations), &exit) == 0 else {
            return .failure(failure ?? KVMCalibration.Failure(step: "isoprobe_kvm_run", errno: 0))
        }
        let reason = exit.exit_reason >= 0 ? KVMExitReason(rawValue: exit.exit_reason) : nil
        let hasDetail = reason == .internalError || reason == .failEntry
        return .success(KVMCalibration.Sample(
            program: run.program, iterations: run.iterations,
            completed: KVMCalibration.Sample.completed(iterations: run.iterations, exit: reason,
                                                       ecxLeft: exit.ecx_read != 0 ? exit.ecx : nil),
            nanoseconds: exit.elapsed_ns, exit: reason, errno: exit.run_errno,
            ioPort: reason == .io ? UInt16(truncatingIfNeeded: exit.io_port) : nil,
            detail: hasDetail ? exit.detail : nil))
    }

    /// The signal `kick` sends (installed once per process), nil when none is free.
    static let kickSignal: Int32? = {
        let signal = isoprobe_kvm_kick_signal()
        return signal > 0 ? signal : nil
    }()

    /// On the vCPU's own thread, before anything else: only `kickSignal` may interrupt it.
    static func acceptOnlyKicks(_ signal: Int32) {
        isoprobe_kvm_accept_only(signal)
    }

    /// From another thread: gets `thread` out of KVM_RUN. `mapped`: between set-up and close,
    /// when the vCPU's immediate_exit can be set as well as the signal sent.
    func kick(thread: pthread_t, signal: Int32, mapped: Bool) {
        isoprobe_kvm_kick(mapped ? vcpu : nil, thread, signal)
    }

    func close() {
        isoprobe_kvm_close(vcpu)
    }
}

extension KVMCalibration.Sample.Program {
    var guestProgram: isoprobe_kvm_program {
        switch self {
        case .hlt: return ISOPROBE_KVM_HLT
        case .io: return ISOPROBE_KVM_IO
        case .spin: return ISOPROBE_KVM_SPIN
        }
    }
}
