import Foundation

/// `boundaries check` parameters naming the canaries A must not reach.
enum CheckParameters {
    static func make(ids: CanaryIdentities, host: HostIdentity, hostPid: pid_t?, hostFile: String?,
                     bridge: [(key: String, value: String)] = []) -> [(key: String, value: String)] {
        var p: [(key: String, value: String)] = [
            ("host_tag", ids.host.tag), ("host_secret", ids.host.secret), ("host_shm_key", String(ids.host.shmKey)),
            ("host_abstract", ids.host.abstractName), ("host_port", String(ids.host.port)),
            ("host_boot_id", host.bootID), ("host_kernel", host.kernel), ("host_hostname", host.hostname),
            ("host_ifaces", host.interfaces.joined(separator: ",")), ("host_uts", host.utsNamespace),
            ("host_net", host.netNamespace),
            ("peer_tag", ids.peer.tag), ("peer_secret", ids.peer.secret), ("peer_shm_key", String(ids.peer.shmKey)),
            ("peer_abstract", ids.peer.abstractName), ("peer_port", String(ids.peer.port)),
            ("hostname_probe", ids.hostnameProbe),
        ]
        if let hostPid { p.append(("host_pid", String(hostPid))) }
        if let hostFile { p.append(("host_file", hostFile)) }
        p += bridge
        return p.filter { !$0.value.isEmpty && !$0.value.contains(" ") }
    }
}
