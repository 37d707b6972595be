import CBPF
import Foundation

/// One map of a loaded `BPFObject`, read by key through the bpf(2) syscall.
public struct BPFMap {
    let pointer: OpaquePointer
    unowned let owner: BPFObject

    init(pointer: OpaquePointer, owner: BPFObject) {
        self.pointer = pointer
        self.owner = owner
    }

    public var name: String { String(cString: bpf_map__name(pointer)) }
    public var fd: Int32 { bpf_map__fd(pointer) }
    public var keySize: Int { Int(bpf_map__key_size(pointer)) }
    public var valueSize: Int { Int(bpf_map__value_size(pointer)) }
    public var maxEntries: Int { Int(bpf_map__max_entries(pointer)) }

    public var isPerCPU: Bool {
        switch bpf_map__type(pointer) {
        case BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH:
            return true
        default:
            return false
        }
    }

    /// Possible CPUs, the number of values a per-CPU lookup returns.
    public static var possibleCPUs: Int { Int(max(libbpf_num_possible_cpus(), 1)) }

    /// The value for key, or nil when absent. For per-CPU maps, one value per possible CPU.
    public func lookup<K, V>(_ key: K, as: V.Type) throws -> [V]? {
        precondition(MemoryLayout<K>.size == keySize, "key size of \(name)")
        let count = isPerCPU ? Self.possibleCPUs : 1
        // Per-CPU values are laid out 8-byte aligned.
        let stride = isPerCPU ? (valueSize + 7) & ~7 : valueSize
        precondition(MemoryLayout<V>.size == valueSize, "value size of \(name)")
        var buffer = [UInt8](repeating: 0, count: stride * count)
        var k = key
        let rc = buffer.withUnsafeMutableBytes { out in
            withUnsafePointer(to: &k) { bpf_map_lookup_elem(fd, $0, out.baseAddress) }
        }
        if rc != 0 {
            if errno == ENOENT { return nil }
            throw BPFError(call: "bpf_map_lookup_elem", subject: name, errno: errno)
        }
        return buffer.withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * stride, as: V.self) }
        }
    }

    /// Every key present (hash maps), walked with get_next_key.
    public func keys<K>(as: K.Type) throws -> [K] {
        precondition(MemoryLayout<K>.size == keySize, "key size of \(name)")
        var out: [K] = []
        var current = [UInt8](repeating: 0, count: keySize)
        var next = [UInt8](repeating: 0, count: keySize)
        var first = true
        while true {
            let rc = next.withUnsafeMutableBytes { n in
                current.withUnsafeBytes { c in
                    bpf_map_get_next_key(fd, first ? nil : c.baseAddress, n.baseAddress)
                }
            }
            if rc != 0 {
                if errno == ENOENT { break }
                throw BPFError(call: "bpf_map_get_next_key", subject: name, errno: errno)
            }
            out.append(next.withUnsafeBytes { $0.loadUnaligned(as: K.self) })
            swap(&current, &next)
            first = false
            if out.count > maxEntries { break }
        }
        return out
    }
}
