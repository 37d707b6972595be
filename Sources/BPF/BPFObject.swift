import CBPF
import Foundation

/// A BPF object file: opened (its programs and settings can still change), then loaded
/// into the kernel. Owns its programs and maps; `close()` releases everything.
public final class BPFObject {
    private var object: OpaquePointer?
    public let path: String

    /// Opens a compiled `*.bpf.o` without loading it.
    public init(path: String) throws {
        LibbpfLog.install()
        _ = LibbpfLog.take()
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw BPFError(call: "bpf_object__open_file", subject: path, errno: ENOENT)
        }
        self.path = path
        errno = 0
        guard let obj = bpf_object__open_file(path, nil) else {
            throw BPFError(call: "bpf_object__open_file", subject: path, errno: errno,
                           log: LibbpfLog.take())
        }
        object = obj
    }

    deinit { close() }

    public var name: String {
        guard let object else { return "" }
        return String(cString: bpf_object__name(object))
    }

    public var isOpen: Bool { object != nil }

    /// Programs in section order.
    public var programs: [BPFProgram] {
        guard let object else { return [] }
        var out: [BPFProgram] = []
        var prog = bpf_object__next_program(object, nil)
        while let p = prog {
            out.append(BPFProgram(pointer: p, owner: self))
            prog = bpf_object__next_program(object, p)
        }
        return out
    }

    /// Runs the kernel skipped, over every program (`BPFProgram.recursionMisses`).
    public var recursionMisses: UInt64 { programs.reduce(0) { $0 + $1.recursionMisses } }

    public func program(named name: String) throws -> BPFProgram {
        guard let object, let p = bpf_object__find_program_by_name(object, name) else {
            throw BPFError(call: "bpf_object__find_program_by_name", subject: name, errno: ENOENT)
        }
        return BPFProgram(pointer: p, owner: self)
    }

    public func map(named name: String) throws -> BPFMap {
        guard let object, let m = bpf_object__find_map_by_name(object, name) else {
            throw BPFError(call: "bpf_object__find_map_by_name", subject: name, errno: ENOENT)
        }
        return BPFMap(pointer: m, owner: self)
    }

    /// Sets a `const volatile` global (in `.rodata`) before load. The value's bytes are
    /// copied at the variable's offset, found through the object's BTF.
    public func setConstant<T: FixedWidthInteger>(_ name: String, _ value: T) throws {
        guard let object else { throw BPFError(call: "setConstant", subject: name, errno: EBADF) }
        guard let btf = bpf_object__btf(object) else {
            throw BPFError(call: "bpf_object__btf", subject: self.path, errno: ENOENT)
        }
        let (offset, size) = try Self.locateVariable(name, section: ".rodata", in: btf)
        guard size == MemoryLayout<T>.size else {
            throw BPFError(call: "setConstant", subject: "\(name): size \(size), value \(MemoryLayout<T>.size)",
                           errno: EINVAL)
        }
        guard let map = bpf_object__find_map_by_name(object, ".rodata") ?? Self.findRodata(object) else {
            throw BPFError(call: "bpf_object__find_map_by_name", subject: ".rodata", errno: ENOENT)
        }
        var current = 0
        guard let initial = bpf_map__initial_value(map, &current), offset + size <= current else {
            throw BPFError(call: "bpf_map__initial_value", subject: name, errno: EINVAL)
        }
        // libbpf 1.1 hands out a const pointer: copy, patch, set back.
        var bytes = [UInt8](UnsafeRawBufferPointer(start: initial, count: current))
        withUnsafeBytes(of: value.littleEndian) { v in
            for i in 0..<size { bytes[offset + i] = v[i] }
        }
        let rc = bytes.withUnsafeBytes { bpf_map__set_initial_value(map, $0.baseAddress, current) }
        if rc != 0 {
            throw BPFError(call: "bpf_map__set_initial_value", subject: name, errno: -rc)
        }
    }

    /// Reads a `const volatile` global's value as compiled into the object.
    public func constant<T: FixedWidthInteger>(_ name: String, as: T.Type) throws -> T {
        guard let object, let btf = bpf_object__btf(object) else {
            throw BPFError(call: "bpf_object__btf", subject: path, errno: ENOENT)
        }
        let (offset, size) = try Self.locateVariable(name, section: ".rodata", in: btf)
        guard size == MemoryLayout<T>.size,
              let map = bpf_object__find_map_by_name(object, ".rodata") ?? Self.findRodata(object) else {
            throw BPFError(call: "constant", subject: name, errno: EINVAL)
        }
        var current = 0
        guard let initial = bpf_map__initial_value(map, &current), offset + size <= current else {
            throw BPFError(call: "bpf_map__initial_value", subject: name, errno: EINVAL)
        }
        return T(littleEndian: initial.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// libbpf names internal maps after a prefix of the object name (e.g. "syscall.rodata").
    private static func findRodata(_ object: OpaquePointer) -> OpaquePointer? {
        var map = bpf_object__next_map(object, nil)
        while let m = map {
            if String(cString: bpf_map__name(m)).hasSuffix(".rodata") { return m }
            map = bpf_object__next_map(object, m)
        }
        return nil
    }

    private static func locateVariable(_ name: String, section: String,
                                       in btf: OpaquePointer) throws -> (Int, Int) {
        let secID = btf__find_by_name_kind(btf, section, 15 /* BTF_KIND_DATASEC */)
        guard secID > 0, let sec = btf__type_by_id(btf, UInt32(secID)) else {
            throw BPFError(call: "btf__find_by_name_kind", subject: section, errno: ENOENT)
        }
        let vlen = Int(sec.pointee.info & 0xffff)
        // btf_var_secinfo entries follow the btf_type header.
        let infos = UnsafeRawPointer(sec).advanced(by: MemoryLayout<btf_type>.size)
            .assumingMemoryBound(to: btf_var_secinfo.self)
        for i in 0..<vlen {
            let info = infos[i]
            guard let varType = btf__type_by_id(btf, info.type),
                  let varName = btf__name_by_offset(btf, varType.pointee.name_off) else { continue }
            if String(cString: varName) == name {
                return (Int(info.offset), Int(info.size))
            }
        }
        throw BPFError(call: "setConstant", subject: "\(name) not in \(section)", errno: ENOENT)
    }

    /// Loads every program whose autoload is on, with their maps. A refused load
    /// throws with libbpf's log, which includes the verifier's.
    public func load() throws {
        guard let object else { throw BPFError(call: "bpf_object__load", subject: path, errno: EBADF) }
        _ = LibbpfLog.take()
        let rc = bpf_object__load(object)
        if rc != 0 {
            throw BPFError(call: "bpf_object__load", subject: (path as NSString).lastPathComponent,
                           errno: -rc, log: LibbpfLog.take())
        }
    }

    /// Unloads programs and frees maps. Links must be destroyed first (they hold their own
    /// references, so a forgotten link keeps its program attached).
    public func close() {
        if let object {
            bpf_object__close(object)
            self.object = nil
        }
    }
}
