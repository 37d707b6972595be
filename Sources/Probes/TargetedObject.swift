import BPF
import Foundation
import IsoprobeCore

/// One compiled probe object loaded whole and aimed at a cgroup: every program attached,
/// and released in order. The optional probes (KVM exits, capability checks) are built on it.
final class TargetedObject {
    private(set) var object: BPFObject?
    private var links: [BPFLink] = []

    /// Opens `file` in `directory`, points it at `target` (nil: every task), loads it and
    /// attaches every program. On failure it releases what it made; it returns why when the
    /// kernel lacks what the probes need (`ProbeFailure`), and throws anything else, named
    /// after `name` and the file.
    func open(_ file: String, in directory: String, target: CgroupTarget?, name: String,
              tracepoints: [String], configure: (BPFObject) throws -> Void = { _ in }) throws -> String? {
        let path = (directory as NSString).appendingPathComponent(file)
        do {
            let obj = try BPFObject(path: path)
            object = obj
            try obj.setConstant("target_cgroup_id", target?.id ?? 0)
            try obj.setConstant("target_level", UInt32(target?.level ?? 0))
            try configure(obj)
            try obj.load()
            for program in obj.programs { links.append(try program.attach()) }
            return nil
        } catch let error as BPFError {
            let failure = ProbeFailure.classify(error, probes: name, file: path, programs: object?.programs ?? [],
                                                tracepoints: tracepoints)
            close()
            return try ProbeFailure.reasonOrThrow(failure)
        } catch {
            close()
            throw error
        }
    }

    /// Stops counting; the maps stay readable until `close`.
    func detach() {
        links.forEach { $0.destroy() }
        links.removeAll()
    }

    func close() {
        detach()
        object?.close()
        object = nil
    }
}
