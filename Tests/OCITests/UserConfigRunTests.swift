import Foundation
import OCI
import Testing

/// A user's config as isoprobe runs it: what it changes, what a runtime would refuse, and
/// where a bind mount shows a host path.
@Suite struct UserConfigRunTests {
    static func runcSpec() throws -> Spec { try Spec.decode(Data(runcSpecFixture.utf8)) }

    @Test func runnableListsEveryChange() throws {
        let user = try Self.runcSpec()
        let (spec, changes) = try user.runnable(args: ["/boundaries", "check"], rootPath: "/srv/rootfs", cgroupsPath: "/ctr")
        #expect(changes.map(\.field) == ["process.args", "root.path", "process.terminal", "linux.cgroupsPath"])
        #expect(changes.allSatisfy { !$0.reason.isEmpty && !$0.line.contains("\n") })
        #expect(spec.process?.terminal == false && spec.linux?.cgroupsPath == "/ctr")
        // Nothing else moves.
        var restored = spec
        restored.process?.args = user.process?.args
        restored.process?.terminal = true
        restored.root?.path = user.root?.path ?? ""
        restored.linux?.cgroupsPath = nil
        #expect(restored == user)

        var quiet = user
        quiet.process?.terminal = false
        quiet.linux?.cgroupsPath = "/mine"
        #expect(try quiet.runnable(args: ["x"], rootPath: "r", cgroupsPath: "/ctr").changes.map(\.field) == ["process.args", "root.path"])
    }

    @Test(arguments: [
        ("no uts namespace", "hostname: the config sets hostname but has no uts namespace: add {\"type\":\"uts\"} to linux.namespaces or remove hostname"),
        ("domainname", "domainname: the config sets domainname but has no uts namespace"),
        ("no mount namespace", "linux.namespaces: the config has no mount namespace, so the container's mounts would be made in the host's and outlive it: add {\"type\":\"mount\"} to linux.namespaces"),
        ("no mount namespace, no masked paths", "linux.namespaces: the config has no mount namespace"),
        ("user namespace unmapped", "linux.uidMappings: the config has a user namespace but no mapping"),
        ("net sysctl", "linux.sysctl: net.ipv4.ip_forward belongs to the network namespace, which the config shares with the host: add {\"type\":\"network\"} to linux.namespaces or remove net.ipv4.ip_forward"),
        ("ipc sysctl", "linux.sysctl: kernel.shmmax belongs to the ipc namespace"),
        ("gone namespace", "linux.namespaces[0].path: /proc/999999999/ns/pid does not exist"),
        ("ungrantable", "process.capabilities.effective: CAP_SYS_RESOURCE is outside this host's capability bounding set (CapBnd), so the runtime cannot grant it: remove it from the config"),
        ("inheritable", "process.capabilities.inheritable: CAP_SYS_RESOURCE, CAP_SYS_TIME are outside"),
    ])
    func refusals(_ kind: String, _ expected: String) throws {
        var spec = try Self.runcSpec()
        func drop(_ t: Linux.NamespaceType) { spec.linux?.namespaces?.removeAll { $0.type == t } }
        switch kind {
        case "no uts namespace": drop(.uts)
        case "domainname": spec.hostname = nil; spec.domainname = "example"; drop(.uts)
        case "no mount namespace": drop(.mount)
        case "no mount namespace, no masked paths":
            drop(.mount)
            spec.linux?.maskedPaths = nil
            spec.linux?.readonlyPaths = nil
        case "user namespace unmapped": spec.linux?.namespaces?.append(.init(type: .user))
        case "net sysctl": drop(.network); spec.linux?.sysctl = ["net.ipv4.ip_forward": "1"]
        case "ipc sysctl": drop(.ipc); spec.linux?.sysctl = ["kernel.shmmax": "1000"]
        case "gone namespace": spec.linux?.namespaces?[0].path = "/proc/999999999/ns/pid"
        case "ungrantable": spec.process?.capabilities?.effective?.append("CAP_SYS_RESOURCE")
        case "inheritable": spec.process?.capabilities?.inheritable = ["CAP_SYS_RESOURCE", "CAP_KILL", "CAP_SYS_TIME"]
        default: Issue.record("unknown case \(kind)")
        }
        let grantable = Set(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"])
        let refusal = try #require(spec.refusal(grantable: grantable), "\(kind) not refused")
        #expect("\(refusal)".hasPrefix(expected), "\(refusal)")
    }

    /// What runtimes accept is not refused: runc spec itself, a bounding set wider than the
    /// host's (the runtime drops the rest), names the kernel does not know, joined namespaces.
    @Test func acceptedConfigsAreNotRefused() throws {
        var spec = try Self.runcSpec()
        let grantable = Set(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        #expect(spec.refusal(grantable: grantable) == nil)
        spec.process?.capabilities?.bounding?.append("CAP_SYS_RESOURCE")
        spec.process?.capabilities?.effective?.append("CAP_NO_SUCH_THING")
        spec.linux?.namespaces?.removeAll { $0.type == .uts }
        spec.linux?.namespaces?.append(.init(type: .uts, path: "/proc/self/ns/uts"))
        #expect(spec.refusal(grantable: grantable) == nil)
        #expect(spec.refusal(grantable: nil) == nil)
    }

    @Test func bindMountsShowHostPaths() {
        func spec(_ mounts: [Mount]) -> Spec { Spec(mounts: mounts) }
        let file = "/tmp/isoprobe-verify-x/secret"
        let root = Mount(destination: "/host", type: "bind", source: "/", options: ["rbind", "ro"])
        #expect(spec([root]).containerPath(ofHostPath: file, hostMountPoints: ["/", "/tmp"]) == "/host/tmp/isoprobe-verify-x/secret")
        // Not recursive: a host mount point below the source is not part of the bind.
        let flat = Mount(destination: "/host", source: "/", options: ["bind"])
        #expect(spec([flat]).containerPath(ofHostPath: file, hostMountPoints: ["/", "/tmp"]) == nil)
        #expect(spec([flat]).containerPath(ofHostPath: file, hostMountPoints: ["/", "/proc"]) == "/host/tmp/isoprobe-verify-x/secret")
        let tmp = Mount(destination: "/mnt/t", type: "bind", source: "/tmp")
        #expect(spec([tmp]).containerPath(ofHostPath: file, hostMountPoints: []) == "/mnt/t/isoprobe-verify-x/secret")
        // A later mount over the place hides it; other folders show nothing of it.
        let over = Mount(destination: "/mnt", type: "tmpfs", source: "tmpfs")
        #expect(spec([tmp, over]).containerPath(ofHostPath: file, hostMountPoints: []) == nil)
        let etc = Mount(destination: "/host-etc", type: "bind", source: "/etc", options: ["rbind"])
        #expect(spec([etc, Mount(destination: "/tmp2", type: "tmpfs", source: "/tmp")]).containerPath(ofHostPath: file, hostMountPoints: []) == nil)
        #expect(spec([Mount(destination: "/tmpx", type: "bind", source: "/tm")]).containerPath(ofHostPath: file, hostMountPoints: []) == nil)
    }
}
