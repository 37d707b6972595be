import CBPF
import Foundation

/// One program of a `BPFObject`; valid while the object is open.
public struct BPFProgram {
    let pointer: OpaquePointer
    unowned let owner: BPFObject

    init(pointer: OpaquePointer, owner: BPFObject) {
        self.pointer = pointer
        self.owner = owner
    }

    public var name: String { String(cString: bpf_program__name(pointer)) }
    public var section: String { String(cString: bpf_program__section_name(pointer)) }

    /// The attach kind and tracepoint, from the section ("tp_btf", "sys_enter").
    public var attachPoint: (kind: String, target: String) {
        let parts = section.split(separator: "/", maxSplits: 1).map(String.init)
        return (parts.first ?? section, parts.count > 1 ? parts[1] : "")
    }

    public var autoload: Bool {
        get { bpf_program__autoload(pointer) }
        nonmutating set { bpf_program__set_autoload(pointer, newValue) }
    }

    /// Runs the kernel skipped since the program was loaded: its event came while the program
    /// was already running on that CPU (an interrupt inside it), so that event went uncounted.
    /// 0 where the kernel does not keep the count (before 5.12) or the program is not loaded.
    public var recursionMisses: UInt64 {
        let fd = bpf_program__fd(pointer)
        return fd >= 0 ? ProgramStatistics.info(fd: fd)?.recursion_misses ?? 0 : 0
    }

    /// Attaches as the section says. The link is the only thing keeping it attached.
    public func attach() throws -> BPFLink {
        _ = LibbpfLog.take()
        errno = 0
        guard let link = bpf_program__attach(pointer) else {
            throw BPFError(call: "bpf_program__attach", subject: name, errno: errno,
                           log: LibbpfLog.take())
        }
        return BPFLink(pointer: link, program: name)
    }
}

/// An attached program. `destroy()` detaches it; links are never left to deinit alone.
public final class BPFLink {
    private var pointer: OpaquePointer?
    public let program: String

    init(pointer: OpaquePointer, program: String) {
        self.pointer = pointer
        self.program = program
    }

    deinit { destroy() }

    public var isAttached: Bool { pointer != nil }

    public func destroy() {
        if let pointer {
            bpf_link__destroy(pointer)
            self.pointer = nil
        }
    }
}
