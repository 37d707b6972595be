import CBPF
import Foundation

/// Questions answered from the running kernel's BTF.
public enum KernelBTF {
    public static let path = "/sys/kernel/btf/vmlinux"

    public static var isPresent: Bool { FileManager.default.isReadableFile(atPath: path) }

    /// Whether a BTF-typed tracepoint exists (`btf_trace_<name>`), i.e. whether
    /// `tp_btf/<name>` can attach. Answers are cached for the process.
    public static func hasTracepoint(_ name: String) -> Bool {
        cache.withLock { state in
            if let known = state.answers[name] { return known }
            if state.btf == nil && !state.triedLoad {
                state.triedLoad = true
                state.btf = btf__load_vmlinux_btf()
            }
            guard let btf = state.btf else { return false }
            let found = btf__find_by_name_kind(btf, "btf_trace_" + name,
                                               8 /* BTF_KIND_TYPEDEF */) > 0
            state.answers[name] = found
            return found
        }
    }

    /// The names of an enum's values in the kernel's BTF (`skb_drop_reason`: 2 ->
    /// "NO_SOCKET"), its common prefix (`SKB_DROP_REASON_`) dropped; empty without it.
    public static func enumerators(of name: String, droppingPrefix prefix: String = "") -> [Int64: String] {
        cache.withLock { state in
            if state.btf == nil && !state.triedLoad {
                state.triedLoad = true
                state.btf = btf__load_vmlinux_btf()
            }
            guard let btf = state.btf else { return [:] }
            let id = btf__find_by_name_kind(btf, name, 6 /* BTF_KIND_ENUM */)
            guard id > 0, let type = btf__type_by_id(btf, UInt32(id)) else { return [:] }
            var out: [Int64: String] = [:]
            let values = btf_enum(type)
            for i in 0..<Int(btf_vlen(type)) {
                guard let values, let cName = btf__name_by_offset(btf, values[i].name_off) else { continue }
                var word = String(cString: cName)
                if word.hasPrefix(prefix) { word.removeFirst(prefix.count) }
                out[Int64(values[i].val)] = word
            }
            return out
        }
    }

    private struct State: @unchecked Sendable {
        var btf: OpaquePointer?
        var triedLoad = false
        var answers: [String: Bool] = [:]
    }

    private static let cache = Locked(State())
}

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Kernel features probed once per process by loading tiny programs.
public enum KernelFeatures {
    /// Whether a BPF helper is callable from tracing programs on this kernel.
    public static func hasHelper(_ helper: bpf_func_id) -> Bool {
        answers.withLock { cache in
            if let known = cache[helper.rawValue] { return known }
            LibbpfLog.install()
            let ok = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, helper, nil) == 1
            _ = LibbpfLog.take()
            cache[helper.rawValue] = ok
            return ok
        }
    }

    /// Per-CPU in-flight slots with a cross-CPU search (Linux 5.19+).
    public static var hasPerCPUSearch: Bool {
        hasHelper(BPF_FUNC_map_lookup_percpu_elem) && hasHelper(BPF_FUNC_loop)
    }

    private static let answers = Locked([UInt32: Bool]())
}
