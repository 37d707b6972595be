import Foundation
import OCI
import Testing

@Suite struct OCIConfigSummaryTests {
    @Test func runcDefaultSpec() throws {
        let summary = OCIConfigSummary(try Spec.decode(Runc.defaultSpecJSON()))
        #expect(summary.privateNamespaces == [.pid, .network, .mount, .ipc, .uts])
        #expect(summary.sharedNamespaces == [.user, .cgroup])
        #expect(summary.joinedNamespaces.isEmpty)
        #expect(summary.namespaces[.user] == .shared)
        #expect(summary.rootMapping == .hostRoot)
        #expect(summary.rootIsUnprivilegedOnHost == false)
        #expect(summary.seccomp == nil)
        #expect(summary.seccompAllows("bpf") == nil)
        #expect(summary.seccompVerdict(for: "bpf") == nil)
        #expect(summary.noNewPrivileges)
        #expect(summary.readonlyRoot)
        // Ambient entries are not inheritable, so the kernel ignores them; root keeps the bounding set.
        #expect(summary.capabilities.effectiveAfterExec == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        #expect(summary.capabilities.dangerous.isEmpty)
        #expect(summary.limits == .init())
        #expect(summary.maskedPathCount == 10)
        #expect(summary.readonlyPathCount == 5)

        let lines = summary.lines
        #expect(lines.count == 7)
        #expect(lines[0] == "namespaces: private pid, network, mount, ipc, uts; shared with host user, cgroup")
        #expect(lines.contains("seccomp: none (every syscall allowed)"))
        #expect(lines.allSatisfy { !$0.contains("\n") })
    }

    @Test func joinedNamespacesAreNeitherPrivateNorShared() {
        let spec = Spec(linux: Linux(namespaces: [.init(type: .network, path: "/proc/1/ns/net"),
                                                  .init(type: .user, path: "/proc/1/ns/user")]))
        let summary = OCIConfigSummary(spec)
        #expect(summary.namespaces[.network] == .joined(path: "/proc/1/ns/net"))
        #expect(summary.joinedNamespaces == [.network, .user])
        #expect(summary.rootMapping == .unknown)
        #expect(summary.rootIsUnprivilegedOnHost == nil)
        #expect(summary.processHostUID == nil)
        #expect(summary.description.contains("joined network (/proc/1/ns/net)"))
    }

    @Test func dangerousCapabilitiesWithoutNoNewPrivs() {
        // Only bounding holds CAP_SYS_ADMIN: without no_new_privs a setuid-root binary gets it back.
        let process = Process(user: .init(uid: 1000, gid: 1000),
                              capabilities: .init(bounding: ["CAP_SYS_ADMIN", "net_admin", "CAP_CHOWN"],
                                                  effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"]))
        var summary = OCIConfigSummary(Spec(process: process))
        #expect(summary.capabilities.bounding == ["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_CHOWN"])
        #expect(summary.capabilities.effectiveAfterExec.isEmpty) // non-root, no ambient
        #expect(summary.capabilities.dangerous == ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"])

        var locked = process
        locked.noNewPrivileges = true
        summary = OCIConfigSummary(Spec(process: locked))
        #expect(summary.capabilities.obtainable.isEmpty)
        #expect(summary.capabilities.dangerous.isEmpty)
    }

    @Test func rootAfterExecUnderNoNewPrivs() {
        let process = Process(capabilities: .init(bounding: ["CAP_SYS_PTRACE", "CAP_KILL"], effective: [],
                                                  permitted: ["CAP_KILL"]), noNewPrivileges: true)
        let summary = OCIConfigSummary(Spec(process: process))
        #expect(summary.capabilities.effectiveAfterExec == ["CAP_KILL"])
        #expect(summary.capabilities.dangerous.isEmpty)

        var loose = process
        loose.noNewPrivileges = nil
        let looseSummary = OCIConfigSummary(Spec(process: loose))
        #expect(looseSummary.capabilities.effectiveAfterExec == ["CAP_SYS_PTRACE", "CAP_KILL"])
        #expect(looseSummary.capabilities.dangerous == ["CAP_SYS_PTRACE"])
    }

    @Test func ambientNeedsPermittedAndInheritable() {
        let process = Process(user: .init(uid: 1000, gid: 1000),
                              capabilities: .init(bounding: ["CAP_NET_RAW", "CAP_KILL"], inheritable: ["CAP_NET_RAW"],
                                                  permitted: ["CAP_NET_RAW", "CAP_KILL"],
                                                  ambient: ["CAP_NET_RAW", "CAP_KILL"]),
                              noNewPrivileges: true)
        #expect(OCIConfigSummary(Spec(process: process)).capabilities.effectiveAfterExec == ["CAP_NET_RAW"])
    }

    @Test func privateUserNamespaceWithoutRootMapping() {
        let spec = Spec(process: Process(user: .init(uid: 1000, gid: 1000)),
                        linux: Linux(namespaces: [.init(type: .user)],
                                     uidMappings: [.init(containerID: 1000, hostID: 5000, size: 10)]))
        let summary = OCIConfigSummary(spec)
        #expect(summary.rootMapping == .unmapped)
        #expect(summary.processHostUID == 5000)
    }

    @Test func limitsAndSwap() {
        let resources = Linux.Resources(memory: .init(limit: 100, swap: 300), cpu: .init(quota: 50_000, period: 100_000, cpus: "0-1"),
                                        pids: .init(limit: 7))
        let summary = OCIConfigSummary(Spec(linux: Linux(resources: resources)))
        #expect(summary.limits.cpus == 0.5)
        #expect(summary.limits.cpuset == "0-1")
        #expect(summary.limits.swapBytes == 200)
        #expect(summary.lines.contains("limits: cpu 0.5 CPUs (50000/100000 us) on cpus 0-1, memory 100 bytes (+200 swap), pids 7"))
        let unlimitedSwap = OCIConfigSummary(Spec(linux: Linux(resources: .init(memory: .init(limit: 100, swap: -1)))))
        #expect(unlimitedSwap.limits.swapBytes == nil)
    }

    @Test func hardenedSummaryText() throws {
        let spec = try Spec.hardened(rootfs: "r", args: ["x"], limits: .init(cpus: 1, memoryBytes: 1 << 20, pids: 5))
        let summary = OCIConfigSummary(spec)
        #expect(summary.sharedNamespaces == [.user])
        #expect(summary.seccomp?.defaultAction == .errno)
        #expect(summary.seccomp?.defaultErrno == 1)
        #expect(summary.seccomp?.conditionalRuleCount == Seccomp.allowedPersonalities.count + 1)
        #expect(summary.maskedPathCount == Spec.hardenedMaskedPaths.count)
        #expect(summary.lines.contains("limits: cpu 1 CPUs (100000/100000 us), memory 1048576 bytes (no swap), pids 5"))
        #expect(summary.lines.contains("capabilities after exec: none; dangerous none"))
    }
}
