import Foundation
import OCI
import Testing

@Suite struct HardenedSpecTests {
    let spec: Spec

    init() throws {
        spec = try Spec.hardened(rootfs: "rootfs", args: ["/bin/busybox", "true"], cgroupsPath: "/isoprobe-x")
    }

    @Test func privateNamespacesButUserByDefault() throws {
        let types = Set(spec.linux?.namespaces?.map(\.type) ?? [])
        #expect(types == [.pid, .network, .ipc, .uts, .mount, .cgroup])
        #expect(spec.linux?.namespaces?.allSatisfy { $0.path == nil } == true)
        #expect(spec.linux?.uidMappings == nil)
        #expect(spec.linux?.cgroupsPath == "/isoprobe-x")
    }

    @Test func userNamespaceMapsRootToAnUnprivilegedRange() throws {
        let spec = try Spec.hardened(rootfs: "r", args: ["x"], userNamespace: true)
        #expect(spec.linux?.namespace(.user) != nil)
        let mapping = Linux.IDMapping(containerID: 0, hostID: 100_000, size: 65_536)
        #expect(spec.linux?.uidMappings == [mapping])
        #expect(spec.linux?.gidMappings == [mapping])
        let summary = OCIConfigSummary(spec)
        #expect(summary.rootMapping == .mapped(hostUID: 100_000, hostGID: 100_000))
        #expect(summary.rootIsUnprivilegedOnHost == true)
        #expect(summary.processHostUID == 100_000)
        #expect(summary.sharedNamespaces.isEmpty)
    }

    @Test func processIsLockedDown() throws {
        let process = try #require(spec.process)
        #expect(process.noNewPrivileges == true)
        #expect(process.terminal == false)
        #expect(process.user == .init(uid: 0, gid: 0))
        #expect(process.args == ["/bin/busybox", "true"])
        #expect(process.cwd == "/")
        #expect(process.rlimits == [.init(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
        let caps = try #require(process.capabilities)
        for set in [caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient] {
            #expect(set == Spec.hardenedCapabilities)
            #expect(set?.contains("CAP_SYS_ADMIN") == false)
        }
        #expect(caps.inheritable == [] && caps.ambient == [])
    }

    @Test func rootIsReadOnlyAndTmpIsTheScratchSpace() throws {
        #expect(spec.root == Root(path: "rootfs", readonly: true))
        let mounts = try #require(spec.mounts)
        #expect(mounts.map(\.destination) ==
                ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/tmp"])
        let tmp = try #require(mounts.last)
        #expect(tmp.type == "tmpfs")
        #expect(tmp.options == ["nosuid", "nodev", "mode=1777", "size=65536k"])
        #expect(Spec.hardenedRootfsDirectories == ["/proc", "/dev", "/sys", "/tmp"])
        #expect(mounts.first { $0.destination == "/sys" }?.options?.contains("ro") == true)
        #expect(mounts.first { $0.destination == "/sys/fs/cgroup" }?.options?.contains("ro") == true)
    }

    @Test func procHardeningCoversRuncDefaults() throws {
        let runc = try Spec.decode(Data(runcSpecFixture.utf8)).linux
        let masked = Set(spec.linux?.maskedPaths ?? [])
        let readonly = Set(spec.linux?.readonlyPaths ?? [])
        #expect(masked.isSuperset(of: runc?.maskedPaths ?? ["missing"]))
        #expect(readonly.isSuperset(of: runc?.readonlyPaths ?? ["missing"]))
        #expect(spec.linux?.resources?.devices == [.init(allow: false, access: "rwm")])
    }

    @Test func seccompRefusesByDefaultWithEPERM() throws {
        let seccomp = try #require(spec.linux?.seccomp)
        #expect(seccomp.defaultAction == .errno)
        #expect(seccomp.defaultErrnoRet == 1)
        #expect(seccomp.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let summary = OCIConfigSummary(spec)
        #expect(summary.seccompAllows("getpid") == true)
        #expect(summary.seccompAllows("bpf") == false)
        #expect(summary.seccompAllows("mount") == false)
        #expect(summary.capabilities.effectiveAfterExec.isEmpty)
        #expect(summary.capabilities.dangerous.isEmpty)
    }

    @Test func limitsBecomeCgroupSettings() throws {
        let limits = ResourceLimits(cpus: 1.5, memoryBytes: 256 << 20, pids: 64)
        let resources = try #require(try Spec.hardened(rootfs: "r", args: ["x"], limits: limits).linux?.resources)
        #expect(resources.cpu == .init(quota: 150_000, period: 100_000))
        #expect(resources.memory == .init(limit: 256 << 20, swap: 256 << 20))
        #expect(resources.pids == .init(limit: 64))
        let summary = OCIConfigSummary(try Spec.hardened(rootfs: "r", args: ["x"], limits: limits))
        #expect(summary.limits.cpus == 1.5)
        #expect(summary.limits.swapBytes == 0)
        #expect(summary.limits.pidsLimit == 64)
        #expect(spec.linux?.resources?.cpu == nil && spec.linux?.resources?.memory == nil)
    }

    @Test("refused inputs name the field", arguments: [
        (ResourceLimits(cpus: 0.001), "limits.cpus"),
        (ResourceLimits(cpus: .nan), "limits.cpus"),
        (ResourceLimits(memoryBytes: 0), "limits.memoryBytes"),
        (ResourceLimits(pids: -1), "limits.pids"),
    ])
    func badLimits(limits: ResourceLimits, key: String) {
        #expect {
            _ = try Spec.hardened(rootfs: "r", args: ["x"], limits: limits)
        } throws: { error in
            (error as? OCIConfigError)?.keyPath == key
        }
    }

    @Test func badProcessInputsAreRefused() {
        #expect(throws: OCIConfigError.self) { try Spec.hardened(rootfs: "r", args: []) }
        #expect(throws: OCIConfigError.self) { try Spec.hardened(rootfs: "", args: ["x"]) }
        #expect(throws: OCIConfigError.self) { try Spec.hardened(rootfs: "r", args: ["x"], cwd: "tmp") }
    }

    @Test func hardenedSpecRoundTrips() throws {
        let spec = try Spec.hardened(rootfs: "r", args: ["x"], limits: .init(cpus: 2, memoryBytes: 1 << 30, pids: 10),
                                     userNamespace: true)
        #expect(try Spec.decode(spec.encoded()) == spec)
    }
}
