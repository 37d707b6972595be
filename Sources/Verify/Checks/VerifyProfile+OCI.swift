import Foundation
import OCI

extension VerifyProfile {
    /// What an OCI config lets the container do, check by check, following what
    /// fixtures/checks/boundaries.c tries. `either` where the config cannot decide (a kernel
    /// setting, a namespace joined by path, a kernel built without the call); `kernel` narrows
    /// some of those down; `layout` says where the host's secret file lies and which host
    /// mount points a bind stops at. Guest B is assumed to run from the same config.
    public static func container(_ spec: Spec, name: String, kernel: KernelSettings? = nil,
                                 layout: HostLayout = HostLayout()) -> VerifyProfile {
        let rules = ContainerRules(spec, kernel: kernel, layout: layout)
        var e: [String: Expectation] = [:]
        rules.processes(&e)
        rules.filesystem(&e)
        rules.network(&e)
        rules.identity(&e)
        rules.privileges(&e)
        e["kernel.shared"] = .init(.fail, "a container shares the host's kernel")
        return VerifyProfile(name: name, expectations: e, informational: ["kernel.shared"])
    }
}

/// The facts of one config the expectations are derived from.
struct ContainerRules {
    let spec: Spec
    let summary: OCIConfigSummary
    let linux: Linux
    let kernel: KernelSettings?
    let layout: HostLayout

    init(_ spec: Spec, kernel: KernelSettings?, layout: HostLayout = HostLayout()) {
        self.spec = spec
        summary = OCIConfigSummary(spec)
        linux = spec.linux ?? Linux()
        self.kernel = kernel
        self.layout = layout
    }

    enum Namespace { case own, host, joined }

    func namespace(_ t: Linux.NamespaceType) -> Namespace {
        switch summary.namespaces[t] ?? .shared {
        case .private: return .own
        case .shared: return .host
        case .joined: return .joined
        }
    }

    /// Capabilities count over the host only from the initial user namespace.
    var hostUserNamespace: Bool { namespace(.user) == .host }
    var caps: Set<String> { summary.capabilities.effectiveAfterExec }
    func has(_ cap: String) -> Bool { caps.contains("CAP_" + cap) }
    func hasOverHost(_ cap: String) -> Bool { has(cap) && hostUserNamespace }
    var hostRoot: Bool { hostUserNamespace && summary.processUID == 0 }

    /// true: seccomp lets the call through whatever its arguments (or there is no filter);
    /// false: refused whatever its arguments; nil: the arguments decide.
    func seccompAllows(_ call: String) -> Bool? {
        guard let verdict = summary.seccompVerdict(for: call) else { return true }
        switch verdict {
        case let .always(action, _): return action.runsSyscall
        case .dependsOnArguments: return nil
        }
    }

    /// An outcome keyed by a namespace: own -> pass, host -> `host` (its reason led by the
    /// setting, "no pid namespace"), joined -> either.
    func byNamespace(_ t: Linux.NamespaceType, _ host: Expectation, own: String) -> Expectation {
        switch namespace(t) {
        case .own: return .init(.pass, own)
        case .host: return .init(host.outcome, "no \(t.rawValue) namespace: " + host.reason)
        case .joined: return .init(.either, "joins an existing \(t.rawValue) namespace")
        }
    }

    func processes(_ e: inout [String: Expectation]) {
        let own = "private pid namespace"
        e["proc.see_host"] = byNamespace(.pid, .init(.fail, "shares the host's"), own: own)
        e["proc.see_peer"] = byNamespace(.pid, .init(.fail, "B is in the host's too"), own: own)
        let kill = seccompAllows("kill")
        // kill(pid, 0) needs the same uid as the root-owned canary, or CAP_KILL over the host.
        let signalHost: Expectation = kill == false ? .init(.pass, "seccomp refuses kill")
            : kill == nil ? .init(.either, "seccomp decides on kill's arguments")
            : hostRoot || hasOverHost("KILL") ? .init(.fail, "A is the host's uid 0 (or has CAP_KILL over it)")
            : hostUserNamespace ? .init(.pass, "not root and no CAP_KILL") : .init(.pass, "mapped uid, no capability over the host")
        e["proc.signal_host"] = byNamespace(.pid, signalHost, own: own)
        e["proc.signal_peer"] = byNamespace(.pid, kill == false ? .init(.pass, "seccomp refuses kill")
            : kill == nil ? .init(.either, "seccomp decides on kill's arguments")
            : .init(.fail, "A and B share their uid"), own: own)
        // The host canary holds every capability: attaching needs CAP_SYS_PTRACE over the host.
        let ptrace = seccompAllows("ptrace")
        let ptraceHost: Expectation = ptrace == false ? .init(.pass, "seccomp refuses ptrace")
            : ptrace == nil ? .init(.either, "seccomp decides on ptrace's arguments")
            : kernel?.yamaPtraceScope == 3 ? .init(.pass, "yama ptrace_scope 3")
            : hasOverHost("SYS_PTRACE") ? .init(.fail, "CAP_SYS_PTRACE over the host")
            : .init(.pass, "no CAP_SYS_PTRACE over a canary holding every capability")
        e["proc.ptrace_host"] = byNamespace(.pid, ptraceHost, own: own)
        let ptracePeer: Expectation = ptrace == false ? .init(.pass, "seccomp refuses ptrace")
            : hasOverHost("SYS_PTRACE") && ptrace == true && kernel?.yamaPtraceScope != 3
            ? .init(.fail, "CAP_SYS_PTRACE over the host")
            : .init(.either, "yama, dumpability and capability subsets decide")
        e["proc.ptrace_peer"] = byNamespace(.pid, ptracePeer, own: own)
    }

    func filesystem(_ e: inout [String: Expectation]) {
        let mounts = spec.mounts ?? []
        e["fs.read_host_file"] = hostFile()

        // A tmpfs needs CAP_SYS_ADMIN over the mount namespace: a user namespace's own counts.
        let mount = seccompAllows("mount")
        let mountExpectation: Expectation = mount == false ? .init(.pass, "seccomp refuses mount")
            : !has("SYS_ADMIN") ? .init(.pass, "no CAP_SYS_ADMIN")
            : mount == nil ? .init(.either, "seccomp decides on mount's arguments")
            : spec.process?.apparmorProfile != nil ? .init(.either, "CAP_SYS_ADMIN; the AppArmor profile decides")
            : .init(.fail, "CAP_SYS_ADMIN and mount allowed")
        e["fs.mount"] = mountExpectation
        e["priv.call.mount"] = mountExpectation

        let protected = Set((linux.readonlyPaths ?? []) + (linux.maskedPaths ?? []))
        let proc = mounts.first { $0.destination == "/proc" }
        // sysctl files are root's with mode 0644/0200: only uid 0 of the host may open them to write.
        e["fs.write_proc_sys"] = proc == nil ? .init(.pass, "no /proc mounted")
            : protected.contains("/proc/sys") || protected.contains("/proc") ? .init(.pass, "/proc/sys read-only")
            : hostRoot ? .init(.fail, "/proc/sys writable and uid 0 is the host's")
            : .init(.pass, "not the host's uid 0")
        let sys = mounts.first { $0.destination == "/sys" }
        e["fs.write_sys"] = sys == nil ? .init(.pass, "no /sys mounted")
            : (sys?.options ?? []).contains("ro") || protected.contains("/sys") ? .init(.pass, "/sys read-only")
            : hostRoot || (hostUserNamespace && has("DAC_OVERRIDE")) ? .init(.fail, "/sys writable by the host's uid 0")
            : .init(.pass, "not the host's uid 0")

        let devices = linux.devices ?? []
        let mknod = hostUserNamespace && has("MKNOD") && seccompAllows("mknod") != false && seccompAllows("mknodat") != false
        func cgroupAllows(_ type: String, _ major: Int64?, _ minor: Int64?) -> Bool {
            // The last matching rule wins, as in the devices cgroup.
            var allowed = false
            for r in linux.resources?.devices ?? [] {
                let t = r.type ?? "a"
                guard t == "a" || t == type else { continue }
                guard r.major == nil || r.major == major, r.minor == nil || r.minor == minor else { continue }
                if (r.access ?? "rwm").contains("r") || !r.allow { allowed = r.allow }
            }
            return allowed
        }
        e["fs.block_device"] = devices.contains { $0.type == "b" } ? .init(.fail, "a block device is in linux.devices")
            : mknod && cgroupAllows("b", nil, nil) ? .init(.either, "CAP_MKNOD and block devices allowed by the devices cgroup")
            : .init(.pass, "no block device node and none can be made")
        let kvm = devices.contains { $0.path == "/dev/kvm" || ($0.major == 10 && $0.minor == 232 && $0.type == "c") }
        e["fs.dev_kvm"] = kvm ? .init(.fail, "/dev/kvm is in linux.devices")
            : mknod && cgroupAllows("c", 10, 232) ? .init(.either, "CAP_MKNOD and 10:232 allowed by the devices cgroup")
            : .init(.pass, "/dev/kvm not in linux.devices")
        let mem = devices.contains { $0.path == "/dev/mem" || ($0.major == 1 && $0.minor == 1 && $0.type == "c") }
        // Opening /dev/mem also needs CAP_SYS_RAWIO, and many kernels are built without it.
        e["fs.dev_mem"] = (mem || (mknod && cgroupAllows("c", 1, 1))) && hasOverHost("SYS_RAWIO")
            ? .init(.either, "allowed with CAP_SYS_RAWIO; the kernel's /dev/mem support decides")
            : .init(.pass, mem ? "/dev/mem listed but no CAP_SYS_RAWIO" : "/dev/mem not in linux.devices")
    }

    /// The host's secret file (root's, mode 0600, in a new folder of the host's temporary
    /// directory) is A's to read where a bind mount shows it and A is its owner, the host's
    /// uid 0, or holds CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH over the host.
    func hostFile() -> Expectation {
        if spec.root?.path == "/" { return .init(.fail, "the root is the host's /") }
        let base = layout.temporaryDirectory
        guard let shown = spec.containerPath(ofHostPath: base, hostMountPoints: layout.mountPoints) else {
            return .init(.pass, "own root; no bind mount shows the host's \(base)")
        }
        let bind = "a bind mount shows the host's \(base) at \(shown)"
        if summary.processHostUID == 0 || hasOverHost("DAC_OVERRIDE") || hasOverHost("DAC_READ_SEARCH") {
            return .init(.fail, bind + ", and A is the host's uid 0")
        }
        guard let uid = summary.processHostUID else { return .init(.either, bind + "; A's uid on the host is unknown") }
        return .init(.pass, bind + ", but the file is root's (0600) and A is host uid \(uid)")
    }

    func network(_ e: inout [String: Expectation]) {
        let own = "private network namespace"
        e["net.reach_host"] = byNamespace(.network, .init(.fail, "shares the host's"), own: own)
        e["net.reach_peer"] = byNamespace(.network, .init(.fail, "B is in the host's too"), own: own)
        e["net.host_interfaces"] = byNamespace(.network, .init(.fail, "shares the host's"), own: own)
        // SysV shared memory belongs to the IPC namespace, abstract unix sockets to the network one.
        e["ipc.shm_host"] = byNamespace(.ipc, .init(.fail, "shares the host's"), own: "private IPC namespace")
        e["ipc.shm_peer"] = byNamespace(.ipc, .init(.fail, "B is in the host's too"), own: "private IPC namespace")
        e["ipc.abstract_host"] = byNamespace(.network, .init(.fail, "abstract sockets live in the host's"), own: own)
        e["ipc.abstract_peer"] = byNamespace(.network, .init(.fail, "B's abstract socket is in the host's too"), own: own)
        bridge(&e)
    }

    /// A packet socket needs CAP_NET_RAW over the network namespace: in a namespace of its
    /// own the container's user namespace owns it; the host's needs the capability over the host.
    var rawSockets: Bool {
        has("NET_RAW") && seccompAllows("socket") != false && (namespace(.network) == .own || hostUserNamespace)
    }

    /// Verify's bridge: A and B each plugged in from a namespace of their own (or in the
    /// host's, with the host's address there), the peer at the far end. What holds there
    /// is the bridge's doing (isoprobe binds each guest's port where nftables' bridge family
    /// exists) and CAP_NET_RAW's, which crafting and capturing frames need.
    func bridge(_ e: inout [String: Expectation]) {
        let raw = rawSockets
        e["net.raw_socket"] = raw ? .init(.fail, "CAP_NET_RAW") : .init(.pass, "no CAP_NET_RAW")
        let noRaw = "no CAP_NET_RAW: A cannot craft or capture frames"
        switch namespace(.network) {
        case .own:
            let plain = "a plain Linux bridge forwards between all its ports (no nftables bridge family), open by design"
            let reach: Expectation = kernel?.bridgeFiltering == true
                ? .init(.pass, "isoprobe binds each guest's bridge port: IPv4 to the peer only (nftables)")
                : kernel?.bridgeFiltering == false ? .init(.fail, plain) : .init(.either, "whether the bridge filters is unknown")
            e["net.bridge_reach_peer"] = reach
            e["net.bridge_reach_host"] = reach
            e["net.spoof_source"] = !raw ? .init(.pass, noRaw)
                : kernel?.bridgeFiltering == true ? .init(.pass, "isoprobe binds each bridge port to its MAC and IPv4 address (nftables)")
                : kernel?.bridgeFiltering == false ? .init(.fail, "CAP_NET_RAW, and a plain Linux bridge lets a port spoof (no nftables bridge family), open by design")
                : .init(.either, "CAP_NET_RAW; whether the bridge filters is unknown")
            // A learning bridge sends B's unicast frames to the peer's port alone, unless a
            // port that may spoof teaches it B's or the peer's MAC (the check does not try).
            e["net.sniff_peer"] = !raw ? .init(.pass, noRaw)
                : kernel?.bridgeFiltering == true ? .init(.pass, "a learning bridge sends B's frames to the peer's port alone, and bound ports cannot teach it otherwise")
                : .init(.either, "a learning bridge sends B's frames to the peer's port alone, but a port that may spoof can teach it otherwise")
        case .host:
            e["net.bridge_reach_peer"] = .init(.fail, "no network namespace: B is in the host's too, listening on the host's bridge address")
            e["net.bridge_reach_host"] = .init(.fail, "no network namespace: the host's bridge address is A's own")
            e["net.spoof_source"] = raw ? .init(.fail, "no network namespace: B's address is A's own, and CAP_NET_RAW") : .init(.pass, noRaw)
            e["net.sniff_peer"] = raw ? .init(.fail, "no network namespace: B's traffic leaves through A's interfaces, and CAP_NET_RAW")
                : .init(.pass, noRaw)
        case .joined:
            for id in VerifyProfile.bridgeChecks { e[id] = .init(.either, "joins an existing network namespace: not on verify's bridge") }
        }
    }

    func identity(_ e: inout [String: Expectation]) {
        switch namespace(.uts) {
        case .own: e["id.hostname"] = .init(.pass, "private UTS namespace")
        case .host:
            // The checker leaves the host's hostname alone: what the config lets A do decides.
            let sethostname = seccompAllows("sethostname")
            e["id.hostname"] = sethostname == false ? .init(.pass, "no uts namespace, but seccomp refuses sethostname")
                : sethostname == nil ? .init(.either, "no uts namespace; seccomp decides on sethostname's arguments")
                : hasOverHost("SYS_ADMIN") ? .init(.fail, "no uts namespace: with CAP_SYS_ADMIN A can change the host's hostname")
                : .init(.pass, "no uts namespace, but without CAP_SYS_ADMIN over the host A cannot change the hostname")
        case .joined: e["id.hostname"] = .init(.either, "joins an existing UTS namespace")
        }
        switch summary.rootIsUnprivilegedOnHost {
        case false?:
            e["id.root_is_host_root"] = summary.processUID == 0
                ? .init(.fail, "uid 0 without a user namespace") : .init(.pass, "runs as uid \(summary.processUID)")
        case true?: e["id.root_is_host_root"] = .init(.pass, "user namespace maps uid 0 elsewhere")
        case nil: e["id.root_is_host_root"] = .init(.either, "joins a user namespace the config does not show")
        }
    }

    func privileges(_ e: inout [String: Expectation]) {
        let dangerous = ["SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "NET_ADMIN", "DAC_READ_SEARCH", "SYS_BOOT",
                         "BPF", "PERFMON", "MKNOD"].filter(hasOverHost)
        e["priv.capabilities"] = namespace(.user) == .joined ? .init(.either, "joins a user namespace")
            : dangerous.isEmpty ? .init(.pass, hostUserNamespace ? "no dangerous capability" : "capabilities only in its own user namespace")
            : .init(.fail, dangerous.map { "CAP_" + $0 }.joined(separator: ", ") + " without a user namespace")
        e["priv.no_new_privs"] = summary.noNewPrivileges ? .init(.pass, "noNewPrivileges") : .init(.fail, "noNewPrivileges false")
        e["priv.seccomp"] = summary.seccomp != nil ? .init(.pass, "a filter is installed") : .init(.fail, "no seccomp filter")

        func call(_ name: String, _ ifAllowed: Expectation) -> Expectation {
            switch seccompAllows(name) {
            case false?: return .init(.pass, "seccomp refuses \(name)")
            case nil: return .init(.either, "seccomp decides on \(name)'s arguments")
            default:
                guard ifAllowed.outcome != .pass else { return ifAllowed }
                let filter = summary.seccomp == nil ? "no seccomp filter" : "seccomp allows \(name)"
                return .init(ifAllowed.outcome, filter + ": " + ifAllowed.reason)
            }
        }
        func setting(_ value: Int?, allowsWhen: (Int) -> Bool, _ name: String) -> Expectation {
            guard let value else { return .init(.either, "\(name) decides") }
            return allowsWhen(value) ? .init(.fail, "\(name) = \(value) lets anyone") : .init(.pass, "\(name) = \(value) refuses")
        }
        e["priv.call.bpf"] = call("bpf", hasOverHost("BPF") || hasOverHost("SYS_ADMIN") ? .init(.fail, "CAP_BPF or CAP_SYS_ADMIN")
            : setting(kernel?.unprivilegedBPFDisabled, allowsWhen: { $0 == 0 }, "kernel.unprivileged_bpf_disabled"))
        e["priv.call.perf_event_open"] = call("perf_event_open",
            hasOverHost("PERFMON") || hasOverHost("SYS_ADMIN") ? .init(.fail, "CAP_PERFMON or CAP_SYS_ADMIN")
            : setting(kernel?.perfEventParanoid, allowsWhen: { $0 <= 2 }, "kernel.perf_event_paranoid"))
        e["priv.call.keyctl"] = call("keyctl", .init(.fail, "any process may look up its own keyring"))
        e["priv.call.unshare"] = call("unshare", has("SYS_ADMIN") ? .init(.fail, "CAP_SYS_ADMIN for a new mount namespace")
            : .init(.pass, "no CAP_SYS_ADMIN for a new mount namespace"))
        e["priv.call.ptrace"] = call("ptrace", kernel?.yamaPtraceScope == 3 ? .init(.pass, "yama ptrace_scope 3")
            : .init(.fail, "PTRACE_TRACEME needs no privilege"))
        // Kernels built without kexec or modules refuse with ENOSYS even with the capability.
        e["priv.call.kexec_load"] = call("kexec_load", hasOverHost("SYS_BOOT")
            ? .init(.either, "CAP_SYS_BOOT; the kernel's kexec support decides") : .init(.pass, "no CAP_SYS_BOOT"))
        e["priv.call.init_module"] = call("init_module", hasOverHost("SYS_MODULE")
            ? .init(.either, "CAP_SYS_MODULE; the kernel's module support decides") : .init(.pass, "no CAP_SYS_MODULE"))
        e["priv.call.userfaultfd"] = call("userfaultfd", hasOverHost("SYS_PTRACE") ? .init(.fail, "CAP_SYS_PTRACE")
            : setting(kernel?.unprivilegedUserfaultfd, allowsWhen: { $0 == 1 }, "vm.unprivileged_userfaultfd"))
    }
}
