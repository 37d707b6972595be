import Foundation
import OCI
import Verify

/// fixtures/configs: the config `runc spec` writes, each one-way change of it, and configs
/// equal to the hardened profile, with what verify must make of each.
enum ConfigFixtures {
    static var directory: String { Repo.root + "/fixtures/configs" }
    static func path(_ name: String) -> String { directory + "/" + name + ".json" }
    static func load(_ name: String) throws -> Spec { try Spec.load(from: path(name)) }

    /// The host settings the expectations below assume (Debian's, except perf_event_paranoid
    /// at 2, which lets anyone count its own events; nftables' bridge family present, so
    /// verify's bridge binds its ports).
    static let kernel = KernelSettings(perfEventParanoid: 2, unprivilegedBPFDisabled: 2, unprivilegedUserfaultfd: 0,
                                       yamaPtraceScope: nil, bridgeFiltering: true)

    /// What `runc spec` leaves open on such a host: root is the host's, no seccomp filter,
    /// the calls seccomp would refuse, and the host's kernel.
    static let runcSpecOpens: Set<String> = [
        "id.root_is_host_root", "priv.seccomp", "priv.call.perf_event_open", "priv.call.keyctl", "priv.call.ptrace",
        "kernel.shared",
    ]

    struct Variant: CustomStringConvertible, Sendable {
        /// The file's name in fixtures/configs, without .json.
        var name: String
        var change: @Sendable (inout Spec) -> Void
        /// The checks the change opens (+) or closes (-) against `runc spec`'s.
        var opens: Set<String> = []
        var closes: Set<String> = []
        /// For a config the runtime would refuse: the field its one line names, and words of it.
        var refusal: (field: String, words: String)?

        var description: String { name }
        /// The checks the config leaves open.
        var open: Set<String> { runcSpecOpens.union(opens).subtracting(closes) }
    }

    static func dropNamespace(_ type: Linux.NamespaceType) -> @Sendable (inout Spec) -> Void {
        { $0.linux?.namespaces?.removeAll { $0.type == type } }
    }

    static func addCapability(_ name: String) -> @Sendable (inout Spec) -> Void {
        { spec in
            spec.process?.capabilities?.bounding?.append(name)
            spec.process?.capabilities?.effective?.append(name)
            spec.process?.capabilities?.permitted?.append(name)
        }
    }

    static let variants: [Variant] = [
        Variant(name: "runc-spec", change: { _ in }),
        Variant(name: "no-pid-namespace", change: dropNamespace(.pid),
                opens: ["proc.see_host", "proc.see_peer", "proc.signal_host", "proc.signal_peer", "proc.ptrace_peer"]),
        Variant(name: "no-network-namespace", change: dropNamespace(.network),
                opens: ["net.reach_host", "net.reach_peer", "net.host_interfaces", "net.bridge_reach_peer", "net.bridge_reach_host",
                        "ipc.abstract_host", "ipc.abstract_peer"]),
        Variant(name: "no-ipc-namespace", change: dropNamespace(.ipc), opens: ["ipc.shm_host", "ipc.shm_peer"]),
        Variant(name: "no-uts-namespace", change: dropNamespace(.uts),
                refusal: ("hostname", "the config sets hostname but has no uts namespace: add {\"type\":\"uts\"} to linux.namespaces or remove hostname")),
        // Without CAP_SYS_ADMIN over the host, A cannot change the hostname it shares.
        Variant(name: "no-uts-namespace-or-hostname", change: { spec in
            dropNamespace(.uts)(&spec)
            spec.hostname = nil
        }),
        Variant(name: "no-mount-namespace", change: dropNamespace(.mount),
                refusal: ("linux.namespaces", "the config has no mount namespace, so the container's mounts would be made in the host's and outlive it: add {\"type\":\"mount\"} to linux.namespaces")),
        Variant(name: "user-namespace", change: { spec in
            spec.linux?.namespaces?.append(.init(type: .user))
            spec.linux?.uidMappings = [.init(containerID: 0, hostID: 100_000, size: 65_536)]
            spec.linux?.gidMappings = [.init(containerID: 0, hostID: 100_000, size: 65_536)]
        }, closes: ["id.root_is_host_root"]),
        Variant(name: "cap-sys-admin", change: addCapability("CAP_SYS_ADMIN"),
                opens: ["fs.mount", "priv.capabilities", "priv.call.bpf", "priv.call.unshare", "priv.call.mount"]),
        Variant(name: "cap-sys-ptrace", change: addCapability("CAP_SYS_PTRACE"),
                opens: ["priv.capabilities", "priv.call.userfaultfd"]),
        // Docker's default: raw sockets, yet the bound bridge port lets no spoofed frame through.
        Variant(name: "cap-net-raw", change: addCapability("CAP_NET_RAW"), opens: ["net.raw_socket"]),
        Variant(name: "device-kvm", change: { spec in
            spec.linux?.devices = [.init(type: "c", path: "/dev/kvm", major: 10, minor: 232, fileMode: 0o666, uid: 0, gid: 0)]
            spec.linux?.resources?.devices?.append(.init(allow: true, type: "c", major: 10, minor: 232, access: "rwm"))
        }, opens: ["fs.dev_kvm"]),
        Variant(name: "host-root-mount", change: { spec in
            spec.mounts?.append(Mount(destination: "/host", type: "bind", source: "/", options: ["rbind", "ro"]))
        }, opens: ["fs.read_host_file"]),
        Variant(name: "writable-root", change: { $0.root?.readonly = false }),
        Variant(name: "new-privileges", change: { $0.process?.noNewPrivileges = false }, opens: ["priv.no_new_privs"]),
    ]

    /// Configs equal to the hardened profile (`Spec.hardened`), without and with a user
    /// namespace, and what each leaves open.
    static let hardened: [(name: String, userNamespace: Bool, open: Set<String>)] = [
        ("hardened", false, ["id.root_is_host_root", "kernel.shared"]),
        ("hardened-user-namespace", true, ["kernel.shared"]),
    ]

    static func hardenedSpec(userNamespace: Bool) throws -> Spec {
        try Spec.hardened(rootfs: "rootfs", args: ["sh"], userNamespace: userNamespace)
    }
}
