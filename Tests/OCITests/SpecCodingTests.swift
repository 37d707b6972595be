import Foundation
import OCI
import Testing

@Suite struct SpecCodingTests {
    @Test func runcSpecRoundTrips() throws {
        let original = try Runc.defaultSpecJSON()
        let spec = try Spec.decode(original)
        let again = try Spec.decode(spec.encoded())
        #expect(again == spec)
        // Nothing `runc spec` writes is lost: the re-encoded JSON is the same document.
        let before = try JSONSerialization.jsonObject(with: original) as? NSDictionary
        let after = try JSONSerialization.jsonObject(with: spec.encoded()) as? NSDictionary
        #expect(before != nil && before == after)
    }

    @Test func savedRuncSpecDecodesAsRuncWroteIt() throws {
        let spec = try Spec.decode(Data(runcSpecFixture.utf8))
        #expect(spec.ociVersion == "1.0.2-dev")
        #expect(spec.process?.args == ["sh"])
        #expect(spec.process?.capabilities?.inheritable == nil)
        #expect(spec.root == Root(path: "rootfs", readonly: true))
        #expect(spec.mounts?.count == 7)
        #expect(spec.linux?.resources?.devices == [.init(allow: false, access: "rwm")])
        #expect(spec.linux?.namespaces?.map(\.type) == [.pid, .network, .ipc, .uts, .mount])
        #expect(try Spec.decode(spec.encoded()) == spec)
    }

    @Test func encodingIsSortedIndentedAndOmitsNil() throws {
        let spec = Spec(process: Process(args: ["/bin/true"]), root: Root(path: "rootfs"),
                        linux: Linux(uidMappings: [.init(containerID: 0, hostID: 100_000, size: 65_536)]))
        let text = String(decoding: try spec.encoded(), as: UTF8.self)
        #expect(text.contains("\n  \"linux\" : {"))
        #expect(text.contains("\"containerID\" : 0"))
        #expect(text.contains("\"hostID\" : 100000"))
        #expect(text.contains("\"path\" : \"rootfs\""))
        #expect(!text.contains("null"))
        #expect(!text.contains("hostname"))
        #expect(!text.contains("readonly"))
        #expect(!text.contains("\\/"))
        let keys = ["\"linux\"", "\"ociVersion\"", "\"process\"", "\"root\""].map { text.range(of: $0)?.lowerBound }
        #expect(keys.allSatisfy { $0 != nil })
        #expect(keys.compactMap { $0 } == keys.compactMap { $0 }.sorted())
    }

    @Test func unknownKeysAreIgnoredAndAnnotationsKept() throws {
        let json = #"""
        {"ociVersion": "1.1.0", "windows": {"layerFolders": []}, "futureField": 3,
         "annotations": {"org.example.key": "value"},
         "process": {"user": {"uid": 1000, "gid": 1000, "username": "x"}, "cwd": "/", "args": ["sh"],
                     "ioPriority": {"class": "IOPRIO_CLASS_IDLE"}},
         "linux": {"namespaces": [{"type": "network", "path": "/proc/1/ns/net"}],
                   "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                               "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                                             "comment": "not in the spec"}]},
                   "resources": {"memory": {"limit": 1073741824, "swap": -1}, "unified": {"memory.high": "max"}}}}
        """#
        let spec = try Spec.decode(Data(json.utf8))
        #expect(spec.annotations == ["org.example.key": "value"])
        #expect(spec.process?.user.uid == 1000)
        #expect(spec.linux?.namespaces == [.init(type: .network, path: "/proc/1/ns/net")])
        #expect(spec.linux?.seccomp?.syscalls?.first?.errnoRet == 38)
        #expect(spec.linux?.resources?.memory?.swap == -1)
        #expect(spec.linux?.resources?.unified == ["memory.high": "max"])
        let text = String(decoding: try spec.encoded(), as: UTF8.self)
        #expect(text.contains("org.example.key"))
        #expect(!text.contains("futureField"))
    }

    /// The fields Docker, containerd and Podman write beyond `runc spec` survive a round trip.
    @Test func engineStyleConfigRoundTrips() throws {
        let json = #"""
        {"ociVersion": "1.0.2-dev", "hostname": "c1", "domainname": "example",
         "process": {"terminal": false, "consoleSize": {"height": 24, "width": 80},
                     "user": {"uid": 0, "gid": 0, "umask": 18, "additionalGids": [1, 2, 10]},
                     "args": ["nginx", "-g", "daemon off;"], "env": ["A=b"], "cwd": "/",
                     "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"],
                                      "inheritable": [], "permitted": ["CAP_CHOWN"], "ambient": []},
                     "rlimits": [{"type": "RLIMIT_NPROC", "hard": 18446744073709551615, "soft": 1024}],
                     "apparmorProfile": "docker-default", "oomScoreAdj": -500, "selinuxLabel": "x"},
         "root": {"path": "/var/lib/docker/overlay2/abc/merged"},
         "mounts": [{"destination": "/etc/hosts", "type": "bind", "source": "/var/lib/h",
                     "options": ["rbind", "rprivate"]}],
         "hooks": {"prestart": [{"path": "/usr/bin/dockerd", "args": ["libnetwork-setkey", "-exec-root=/run"],
                                 "timeout": 5}],
                   "createRuntime": [{"path": "/bin/true", "env": ["X=1"]}], "poststop": []},
         "annotations": {"io.kubernetes.cri.container-type": "container"},
         "linux": {"uidMappings": [], "sysctl": {"net.ipv4.ip_unprivileged_port_start": "0"},
                   "resources": {"devices": [{"allow": false, "access": "rwm"},
                                             {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                                             {"allow": true, "type": "c", "major": 136, "access": "rwm"}],
                                 "memory": {"limit": 536870912, "reservation": 0, "swap": 1073741824,
                                            "kernel": -1, "kernelTCP": 0, "swappiness": 60,
                                            "disableOOMKiller": false, "useHierarchy": true},
                                 "cpu": {"shares": 1024, "quota": -1, "period": 100000, "realtimeRuntime": 0,
                                         "realtimePeriod": 0, "cpus": "0-3", "mems": "0"},
                                 "pids": {"limit": 4096},
                                 "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 200}],
                                             "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]},
                                 "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
                                 "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
                                 "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
                                 "unified": {"memory.high": "400M"}},
                   "cgroupsPath": "system.slice:docker:abc",
                   "namespaces": [{"type": "mount"}, {"type": "network", "path": "/var/run/netns/x"},
                                  {"type": "uts"}, {"type": "pid"}, {"type": "ipc"}, {"type": "cgroup"}],
                   "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438,
                                "uid": 0, "gid": 0}],
                   "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
                               "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                               "listenerPath": "/run/seccomp.sock", "listenerMetadata": "m",
                               "syscalls": [{"names": ["accept", "read"], "action": "SCMP_ACT_ALLOW"},
                                            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                                             "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
                                            {"names": ["bpf"], "action": "SCMP_ACT_NOTIFY"},
                                            {"names": ["ptrace"], "action": "SCMP_ACT_KILL_THREAD"}]},
                   "rootfsPropagation": "rprivate", "maskedPaths": ["/proc/kcore"], "readonlyPaths": [],
                   "mountLabel": "system_u:object_r:container_file_t:s0",
                   "intelRdt": {"closID": "g1", "l3CacheSchema": "L3:0=ff", "memBwSchema": "MB:0=50"}}}
        """#
        let spec = try Spec.decode(Data(json.utf8))
        let before = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
        let after = try JSONSerialization.jsonObject(with: spec.encoded()) as? NSDictionary
        #expect(before != nil && before == after)
        #expect(spec.process?.rlimits?.first?.hard == UInt64.max)
        let summary = OCIConfigSummary(spec)
        #expect(summary.namespaces[.network] == .joined(path: "/var/run/netns/x"))
        #expect(summary.seccompAllows("read") == true)
        #expect(summary.seccompAllows("bpf") == false) // notify: a listener decides
        #expect(summary.seccompVerdict(for: "socket") != nil)
        #expect(summary.seccompAllows("socket") == false)
    }

    @Test func wrongTypeNamesTheKeyInOneLine() throws {
        let json = #"{"ociVersion": "1.0.2", "process": {"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": "sh"}}"#
        let dir = try makeTempDirectory("isoprobe-ocitest-json")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/config.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: file))
        do {
            _ = try Spec.load(from: file)
            Issue.record("a string for process.args was accepted")
        } catch let error as OCIConfigError {
            let text = error.description
            #expect(error.keyPath == "process.args")
            #expect(text.hasPrefix(file + ": process.args: expected an array"))
            #expect(text.contains("found a string"))
            #expect(!text.contains("\n"))
        }
    }

    @Test("errors name the key", arguments: [
        (#"{"ociVersion": "1", "linux": {"namespaces": [{"type": "pid"}, {"type": "time"}]}}"#,
         "linux.namespaces[1].type"),
        (#"{"ociVersion": "1", "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"]}}"#,
         "process.cwd: required key is missing"),
        (#"{"ociVersion": "1", "process": {"user": {"uid": -1, "gid": 0}, "cwd": "/"}}"#,
         "process.user.uid: -1 is out of range"),
        (#"{"ociVersion": "1", "linux": {"resources": {"memory": {"swap": -1}, "pids": {"limit": 1.5}}}}"#,
         "linux.resources.pids.limit: 1.5 is out of range"),
        (#"{"ociVersion": "1", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_MAYBE"}}}"#,
         "linux.seccomp.defaultAction"),
        (#"{"ociVersion": "1", "root": {"path": null}}"#, "root.path: expected a string, found null"),
        (#"{"ociVersion": "1", "mounts": [{"destination": "/a"}, {"destination": 5}]}"#,
         "mounts[1].destination: expected a string"),
        (#"{"ociVersion": "1", "process": "#, "not valid JSON"),
        ("1\u{0}z", "not valid JSON"),   // once a crash: a bare number was written back as a document
    ])
    func errorsNameTheKey(json: String, expected: String) {
        do {
            _ = try Spec.decode(Data(json.utf8), source: "x.json")
            Issue.record("accepted: \(json)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("x.json: "))
            #expect(text.contains(expected), "\(text)")
            #expect(!text.contains("\n"))
        }
    }

    /// One number out of range among fifteen thousand: named after a handful of decodes (one
    /// per number took more than ten minutes for a config this size).
    @Test func oneBadNumberAmongThousands() throws {
        let mappings = (0..<5000).map { #"{"containerID": \#($0), "hostID": \#($0 + 100_000), "size": \#($0 == 4999 ? "1.5" : "1")}"# }
        let json = #"{"ociVersion": "1", "linux": {"uidMappings": [\#(mappings.joined(separator: ", "))]}}"#
        let start = ContinuousClock.now
        #expect {
            _ = try Spec.decode(Data(json.utf8), source: "x.json")
        } throws: { error in
            "\(error)" == "x.json: linux.uidMappings[4999].size: 1.5 is out of range for this field"
        }
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    /// A key of the config's own (an annotation) with an escape sequence and a line break in
    /// it: written as escapes, so the error stays one line and the terminal untouched.
    @Test func controlCharactersInKeysAreEscaped() {
        #expect {
            _ = try Spec.decode(Data(#"{"ociVersion": "1", "annotations": {"a\u001b[31m\nb": 5}}"#.utf8), source: "x.json")
        } throws: { error in
            "\(error)".hasPrefix(#"x.json: annotations.a\u{1b}[31m\nb: expected a string"#)
        }
    }

    @Test func missingFileIsNamed() {
        #expect {
            _ = try Spec.load(from: "/nonexistent/isoprobe/config.json")
        } throws: { error in
            "\(error)" == "/nonexistent/isoprobe/config.json: does not exist"
        }
    }

    /// A folder is said to be one, not "NSCocoaErrorDomain error 256".
    @Test func folderIsNamed() {
        #expect {
            _ = try Spec.load(from: "/")
        } throws: { error in
            "\(error)" == "/: is a folder, not a file"
        }
    }

    @Test func userConfigKeepsAllButArgsAndRoot() throws {
        var user = try Spec.decode(Data(runcSpecFixture.utf8))
        user.annotations = ["owner": "someone"]
        let replaced = try user.replacingProcessArgsAndRoot(args: ["/bin/busybox", "true"], rootPath: "/srv/rootfs")
        #expect(replaced.process?.args == ["/bin/busybox", "true"])
        #expect(replaced.root == Root(path: "/srv/rootfs", readonly: true))
        var restored = replaced
        restored.process?.args = user.process?.args
        restored.root?.path = "rootfs"
        #expect(restored == user)

        #expect(throws: OCIConfigError.self) { try Spec().replacingProcessArgsAndRoot(args: ["x"], rootPath: "r") }
        #expect(throws: OCIConfigError.self) { try user.replacingProcessArgsAndRoot(args: [], rootPath: "r") }
        let rootless = Spec(process: Process(args: ["sh"]))
        #expect(try rootless.replacingProcessArgsAndRoot(args: ["a"], rootPath: "r").root == Root(path: "r"))
    }
}
