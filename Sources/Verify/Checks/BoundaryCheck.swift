import Foundation

/// One isolation check the checker (fixtures/checks/boundaries.c) runs from inside guest A.
/// A check passes when the boundary held.
public struct BoundaryCheck: Sendable, Equatable, Hashable {
    public var id: String
    /// processes, filesystem, network, ipc, identity, privileges or kernel.
    public var category: String
    public var title: String

    public static let all: [BoundaryCheck] = [
        .init(id: "proc.see_host", category: "processes", title: "A cannot see the host's processes"),
        .init(id: "proc.see_peer", category: "processes", title: "A cannot see B's processes"),
        .init(id: "proc.signal_host", category: "processes", title: "A cannot signal the host's processes"),
        .init(id: "proc.signal_peer", category: "processes", title: "A cannot signal B's processes"),
        .init(id: "proc.ptrace_host", category: "processes", title: "A cannot ptrace the host's processes"),
        .init(id: "proc.ptrace_peer", category: "processes", title: "A cannot ptrace B's processes"),
        .init(id: "fs.read_host_file", category: "filesystem", title: "A cannot read a host file outside its root"),
        .init(id: "fs.mount", category: "filesystem", title: "A cannot mount"),
        .init(id: "fs.write_proc_sys", category: "filesystem", title: "A cannot write /proc/sys"),
        .init(id: "fs.write_sys", category: "filesystem", title: "A cannot write /sys"),
        .init(id: "fs.block_device", category: "filesystem", title: "A cannot open block devices"),
        .init(id: "fs.dev_kvm", category: "filesystem", title: "A cannot open /dev/kvm"),
        .init(id: "fs.dev_mem", category: "filesystem", title: "A cannot open /dev/mem"),
        .init(id: "net.reach_host", category: "network", title: "A cannot reach the host's loopback listener"),
        .init(id: "net.reach_peer", category: "network", title: "A cannot reach B's listener"),
        .init(id: "net.host_interfaces", category: "network", title: "A does not see the host's interfaces"),
        .init(id: "net.bridge_reach_peer", category: "network", title: "A cannot reach B's listener on the bridge"),
        .init(id: "net.bridge_reach_host", category: "network", title: "A cannot reach the host's listener on its bridge address"),
        .init(id: "net.raw_socket", category: "network", title: "A cannot open a raw packet socket"),
        .init(id: "net.sniff_peer", category: "network", title: "A cannot capture B's traffic in promiscuous mode"),
        .init(id: "net.spoof_source", category: "network", title: "A cannot send from B's IP or MAC address"),
        .init(id: "ipc.shm_host", category: "ipc", title: "A does not see the host's shared memory"),
        .init(id: "ipc.shm_peer", category: "ipc", title: "A does not see B's shared memory"),
        .init(id: "ipc.abstract_host", category: "ipc", title: "A cannot connect to the host's abstract socket"),
        .init(id: "ipc.abstract_peer", category: "ipc", title: "A cannot connect to B's abstract socket"),
        .init(id: "id.hostname", category: "identity", title: "A hostname change in A shows nowhere else"),
        .init(id: "id.root_is_host_root", category: "identity", title: "Root in A is not root on the host"),
        .init(id: "priv.capabilities", category: "privileges", title: "A holds no dangerous capability over the host"),
        .init(id: "priv.no_new_privs", category: "privileges", title: "no_new_privs is set"),
        .init(id: "priv.seccomp", category: "privileges", title: "A seccomp filter is installed"),
        .init(id: "priv.call.bpf", category: "privileges", title: "bpf() is refused"),
        .init(id: "priv.call.perf_event_open", category: "privileges", title: "perf_event_open() is refused"),
        .init(id: "priv.call.keyctl", category: "privileges", title: "keyctl() is refused"),
        .init(id: "priv.call.unshare", category: "privileges", title: "unshare() of a mount namespace is refused"),
        .init(id: "priv.call.mount", category: "privileges", title: "mount() is refused"),
        .init(id: "priv.call.ptrace", category: "privileges", title: "ptrace() is refused"),
        .init(id: "priv.call.kexec_load", category: "privileges", title: "kexec_load() is refused"),
        .init(id: "priv.call.init_module", category: "privileges", title: "init_module() is refused"),
        .init(id: "priv.call.userfaultfd", category: "privileges", title: "userfaultfd() is refused"),
        .init(id: "kernel.shared", category: "kernel", title: "A does not share the host's kernel"),
    ]

    public static func named(_ id: String) -> BoundaryCheck? { byID[id] }

    private static let byID = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })

    /// The syscall each priv.call check probes, as the kernel's syscall table names it.
    public static let probedSyscalls: [String: String] = [
        "priv.call.bpf": "bpf", "priv.call.perf_event_open": "perf_event_open", "priv.call.keyctl": "keyctl",
        "priv.call.unshare": "unshare", "priv.call.mount": "mount", "priv.call.ptrace": "ptrace",
        "priv.call.kexec_load": "kexec_load", "priv.call.init_module": "init_module",
        "priv.call.userfaultfd": "userfaultfd",
    ]
}

/// pass: the boundary held; fail: it did not; na: the check could not apply here.
public enum CheckVerdict: String, Codable, Sendable, CaseIterable {
    case pass, fail, na
}
