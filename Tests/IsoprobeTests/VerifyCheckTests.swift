import Foundation
import IsoprobeCore
import OCI
import Testing
import Verify
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The verify model: parsing the checker's lines, the profiles derived from OCI configs,
/// the verdict rules and the writers.
@Suite struct VerifyCheckTests {
    static func line(_ id: String, _ verdict: String, _ evidence: String) -> String {
        "isoprobe-check id=\(id) verdict=\(verdict) evidence=\(evidence)"
    }

    /// A full checker output where every check has `verdict`, except those in `overrides`.
    static func output(_ verdict: CheckVerdict, _ overrides: [String: CheckVerdict] = [:]) -> String {
        BoundaryCheck.all.map { line($0.id, (overrides[$0.id] ?? verdict).rawValue, "seen%20by%20test") }
            .joined(separator: "\n") + "\nisoprobe-workload name=boundaries ops=35 elapsed_ns=1000 ns_per_op=28.57\n"
    }

    @Test func parsesLinesAndDecodesEvidence() throws {
        let text = "guest console noise\n" + Self.output(.pass, ["proc.see_host": .fail])
            .replacingOccurrences(of: "id=proc.see_host verdict=fail evidence=seen%20by%20test",
                                  with: "id=proc.see_host verdict=fail evidence=pid%2042%3D%25x%0Anext")
        let out = try CheckerOutput.parse(text)
        #expect(out.checks.count == BoundaryCheck.all.count)
        #expect(out.ops == 35)
        #expect(out.elapsedNs == 1000)
        #expect(out.check("proc.see_host") == ObservedCheck(id: "proc.see_host", verdict: .fail, evidence: "pid 42=%x\nnext"))
        #expect(out.check("kernel.shared")?.verdict == .pass)
    }

    @Test func rejectsUnknownMalformedDuplicateAndMissing() {
        let bad = [
            Self.line("proc.see_everything", "pass", "x"),
            Self.line("proc.see_host", "maybe", "x"),
            "isoprobe-check id=proc.see_host verdict=pass",
            "isoprobe-check id=proc.see_host verdict=pass evidence=bad%zz",
            Self.line("proc.see_host", "pass", "x") + "\n" + Self.line("proc.see_host", "fail", "y"),
        ]
        for text in bad {
            #expect(throws: IsoprobeError.self, "\(text)") { try CheckerOutput.parse(text, requireAll: false) }
        }
        do {
            _ = try CheckerOutput.parse(Self.line("proc.see_everything", "pass", "x"), requireAll: false)
        } catch let error as IsoprobeError {
            #expect(error.description.contains("proc.see_everything"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        let partial = Self.output(.pass).split(separator: "\n").dropLast(3).joined(separator: "\n")
        #expect(throws: IsoprobeError.self) { try CheckerOutput.parse(partial) }
        #expect((try? CheckerOutput.parse(partial, requireAll: false))?.checks.count == BoundaryCheck.all.count - 2)
    }

    // MARK: - Profiles

    @Test func containerDefaultFollowsTheHardenedSeccompProfile() {
        let profile = VerifyProfile.containerDefault()
        let filter = Seccomp.dockerLikeDefault()
        for (id, call) in BoundaryCheck.probedSyscalls {
            let refused = !filter.allowsUnconditionally(call) && filter.verdict(for: call) == .always(.errno, errno: 1)
            #expect(profile.isRequired(id) == refused, "\(id)")
        }
        #expect(!profile.isRequired("kernel.shared"))
        #expect(profile.expectation("kernel.shared").outcome == .fail)
        for id in ["proc.see_host", "proc.signal_peer", "net.reach_host", "net.host_interfaces", "ipc.shm_host",
                   "ipc.abstract_peer", "fs.mount", "fs.write_proc_sys", "fs.write_sys", "fs.dev_kvm", "fs.block_device",
                   "id.hostname", "priv.capabilities", "priv.no_new_privs", "priv.seccomp"] {
            #expect(profile.isRequired(id), "\(id)")
        }
        // Without a user namespace the hardened container's uid 0 is the host's.
        #expect(profile.expectation("id.root_is_host_root").outcome == .fail)
        #expect(VerifyProfile.containerDefault(userNamespace: true).isRequired("id.root_is_host_root"))
    }

    /// What `runc spec` writes: five namespaces, three capabilities, no seccomp.
    static func runcSpec() -> Spec {
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        return Spec(process: .init(user: .init(uid: 0, gid: 0), args: ["sh"],
                                   capabilities: .init(bounding: caps, effective: caps, inheritable: caps, permitted: caps, ambient: caps),
                                   noNewPrivileges: true),
                    root: .init(path: "rootfs", readonly: true), hostname: "runc",
                    mounts: [Mount(destination: "/proc", type: "proc", source: "proc"),
                             Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"])],
                    linux: Linux(namespaces: [.pid, .network, .ipc, .uts, .mount].map { .init(type: $0) },
                                 resources: .init(devices: [.init(allow: false, access: "rwm")]),
                                 maskedPaths: Spec.hardenedMaskedPaths, readonlyPaths: Spec.hardenedReadonlyPaths))
    }

    @Test func runcSpecLikeConfig() {
        let p = VerifyProfile.container(Self.runcSpec(), name: "runc-spec")
        for id in ["proc.see_host", "proc.ptrace_peer", "net.reach_peer", "ipc.shm_host", "ipc.abstract_host", "id.hostname",
                   "fs.mount", "fs.write_proc_sys", "fs.write_sys", "fs.dev_kvm", "priv.capabilities", "priv.no_new_privs",
                   "priv.call.mount", "priv.call.unshare", "priv.call.kexec_load"] {
            #expect(p.expectation(id).outcome == .pass, "\(id): \(p.expectation(id).reason)")
        }
        for id in ["priv.seccomp", "priv.call.keyctl", "priv.call.ptrace", "id.root_is_host_root", "kernel.shared"] {
            #expect(p.expectation(id).outcome == .fail, "\(id): \(p.expectation(id).reason)")
        }
        // Without seccomp the kernel's own settings decide; given them, the profile decides too.
        #expect(p.expectation("priv.call.perf_event_open").outcome == .either)
        let debian = VerifyProfile.container(Self.runcSpec(), name: "runc-spec",
                                             kernel: KernelSettings(perfEventParanoid: 3, unprivilegedBPFDisabled: 2,
                                                                    unprivilegedUserfaultfd: 0, yamaPtraceScope: 1))
        #expect(debian.expectation("priv.call.perf_event_open").outcome == .pass)
        #expect(debian.expectation("priv.call.bpf").outcome == .pass)
        let open = VerifyProfile.container(Self.runcSpec(), name: "runc-spec", kernel: KernelSettings(perfEventParanoid: 2))
        #expect(open.expectation("priv.call.perf_event_open").outcome == .fail)
    }

    @Test func configWithoutPidAndNetworkNamespaces() {
        var spec = Self.runcSpec()
        spec.linux?.namespaces = [.ipc, .uts, .mount].map { .init(type: $0) }
        let p = VerifyProfile.container(spec, name: "shared")
        for id in ["proc.see_host", "proc.see_peer", "proc.signal_host", "proc.signal_peer", "net.reach_host",
                   "net.reach_peer", "net.host_interfaces", "ipc.abstract_host", "ipc.abstract_peer"] {
            #expect(p.expectation(id).outcome == .fail, "\(id)")
        }
        // The canary holds every capability; three capabilities do not reach it.
        #expect(p.expectation("proc.ptrace_host").outcome == .pass)
        // SysV shared memory follows the IPC namespace, which the config keeps.
        #expect(p.expectation("ipc.shm_host").outcome == .pass)
    }

    @Test func configWithEveryCapabilityAndNoSeccomp() {
        var spec = Self.runcSpec()
        let all = ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_BPF", "CAP_PERFMON",
                   "CAP_MKNOD", "CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_RAWIO", "CAP_DAC_OVERRIDE"]
        spec.process?.capabilities = .init(bounding: all, effective: all, inheritable: all, permitted: all, ambient: all)
        spec.process?.noNewPrivileges = false
        spec.linux?.seccomp = nil
        spec.linux?.devices = [.init(type: "c", path: "/dev/kvm", major: 10, minor: 232)]
        let p = VerifyProfile.container(spec, name: "privileged")
        for id in ["priv.capabilities", "priv.no_new_privs", "priv.seccomp", "fs.mount", "priv.call.mount",
                   "priv.call.unshare", "priv.call.bpf", "priv.call.perf_event_open", "priv.call.userfaultfd", "fs.dev_kvm"] {
            #expect(p.expectation(id).outcome == .fail, "\(id): \(p.expectation(id).reason)")
        }
        // Kernels without kexec or module support refuse even root: the config cannot say.
        #expect(p.expectation("priv.call.kexec_load").outcome == .either)
        #expect(p.expectation("priv.call.init_module").outcome == .either)
        // A user namespace takes the capabilities' reach over the host away.
        spec.linux?.namespaces?.append(.init(type: .user))
        let mapping: [Linux.IDMapping] = [.init(containerID: 0, hostID: 100_000, size: 65_536)]
        spec.linux?.uidMappings = mapping
        spec.linux?.gidMappings = mapping
        let userns = VerifyProfile.container(spec, name: "userns")
        #expect(userns.expectation("priv.capabilities").outcome == .pass)
        #expect(userns.expectation("id.root_is_host_root").outcome == .pass)
        #expect(userns.expectation("fs.mount").outcome == .fail)
        #expect(userns.expectation("priv.call.bpf").outcome == .either)
    }

    // MARK: - Verdict rules

    static func guest(_ profile: VerifyProfile, _ text: String, environment: String = "container",
                      requiring: Set<String>? = nil) throws -> GuestVerification {
        let checks = try profile.evaluate(CheckerOutput.parse(text).checks, requiring: requiring)
        return GuestVerification(environment: environment, profile: profile.name, isControl: profile.isControl, checks: checks)
    }

    @Test func breachesContradictionsAndControlValidity() throws {
        let profile = VerifyProfile.containerDefault(userNamespace: true)
        let held = try Self.guest(profile, Self.output(.pass, ["kernel.shared": .fail]))
        #expect(held.breaches.isEmpty && held.contradictions.isEmpty)

        // The hardened container closes the network namespace: open anyway is an escape.
        let escaped = try Self.guest(profile, Self.output(.pass, ["kernel.shared": .fail, "net.reach_host": .fail]))
        #expect(escaped.contradictions.map(\.id) == ["net.reach_host"])
        #expect(escaped.breaches.isEmpty)

        let control = VerifyProfile.weakenedControl()
        let validControl = try Self.guest(control, Self.output(.pass, Dictionary(uniqueKeysWithValues:
            VerifyProfile.controlMustFail.map { ($0, CheckVerdict.fail) })))
        #expect(validControl.controlFailures.isEmpty)
        let invalidControl = try Self.guest(control, Self.output(.fail, ["priv.seccomp": .pass, "net.reach_host": .na]))
        #expect(Set(invalidControl.controlFailures) == ["priv.seccomp", "net.reach_host"])

        let policy = PolicySummary(.hardened, required: profile.held)
        #expect(VerifyReport(policy: policy, guests: [held], control: validControl).exitStatus == .success)
        #expect(VerifyReport(policy: policy, guests: [escaped], control: validControl).exitStatus == .verdictFailed)
        #expect(VerifyReport(policy: policy, guests: [held], control: invalidControl).exitStatus == .invalidControl)
        #expect(VerifyReport(policy: policy, guests: [held], control: nil).exitStatus == .invalidControl)
        // A boundary seen open needs no control to prove the checks can fail.
        #expect(VerifyReport(policy: policy, guests: [escaped], control: invalidControl).exitStatus == .verdictFailed)

        // A user config that shares the pid namespace: proc.see_host open is what it allows,
        // which the hardened policy requires and the config policy does not.
        var spec = Self.runcSpec()
        spec.linux?.namespaces = [.network, .ipc, .uts, .mount].map { .init(type: $0) }
        let user = VerifyProfile.container(spec, name: "user")
        let seen = Self.output(.pass, ["proc.see_host": .fail])
        let hardened = try Self.guest(user, seen, requiring: profile.held)
        #expect(hardened.breaches.map(\.id) == ["proc.see_host"] && hardened.contradictions.isEmpty)
        #expect(hardened.checks.first { $0.id == "proc.see_host" }?.classification == .open)
        let config = try Self.guest(user, seen, requiring: [])
        #expect(config.breaches.isEmpty && config.contradictions.isEmpty)
        // Held although the config allows it: held, no failure, but not what the config predicts.
        let stillHeld = try Self.guest(user, Self.output(.pass)).checks.first { $0.id == "proc.see_host" }
        #expect(stillHeld?.classification == .held && stillHeld?.matches == false)
    }

    // MARK: - Writers

    static func sampleReport() throws -> VerifyReport {
        var guest = try Self.guest(.containerDefault(), Self.output(.pass, ["kernel.shared": .fail, "id.root_is_host_root": .fail,
                                                                             "fs.dev_mem": .na, "net.reach_host": .fail]))
        guest.bridge = BridgeSummary(bridge: "isoprobe7br", switchNamespace: "isoprobe-7-switch", peerAddress: "198.18.7.1",
                                     hostAddress: "198.18.7.2", address: "198.18.7.3", otherAddress: "198.18.7.5",
                                     portsBound: true, filtering: "nftables bridge family")
        var control = try Self.guest(.weakenedControl(), Self.output(.fail, ["priv.seccomp": .pass]))
        control.notes = ["evidence with <angle> & \"quotes\""]
        return VerifyReport(createdAt: Date(timeIntervalSince1970: 1_800_000_000),
                            policy: PolicySummary(.hardened, required: VerifyProfile.containerDefault().held),
                            guests: [guest], control: control)
    }

    @Test func textPutsBreachesFirst() throws {
        let text = try Self.sampleReport().text()
        let lines = text.split(separator: "\n").map(String.init)
        let firstCheck = try #require(lines.firstIndex { $0.hasPrefix("!! ") || $0.hasPrefix("   proc.") })
        #expect(lines[firstCheck].hasPrefix("!! net.reach_host"))
        #expect(text.contains("CONTROL INVALID (did not fail: priv.seccomp)"))
        #expect(text.contains("verdict (policy hardened): 0 required boundaries open, 1 contradiction (net.reach_host) of the config"))
        #expect(text.contains("!!   net.reach_host: closed by the config (private network namespace)"))
    }

    @Test func jsonRoundTripsInSnakeCase() throws {
        let report = try Self.sampleReport()
        let data = try report.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"schema_version\" : \(VerifyReport.currentVersion)"))
        #expect(text.contains("\"ports_bound\" : true") && text.contains("\"switch_namespace\" : \"isoprobe-7-switch\""))
        #expect(text.contains("\"id\" : \"net.spoof_source\""))
        #expect(text.contains("\"classification\" : \"contradiction\""))
        #expect(text.contains("\"kind\" : \"hardened\""))
        #expect(text.contains("\"is_control\" : true"))
        let back = try VerifyReport.decode(data)
        #expect(back.guests == report.guests)
        #expect(back.control == report.control)
        #expect(back.exitStatus == report.exitStatus)
    }

    @Test func junitIsWellFormed() throws {
        let report = try Self.sampleReport()
        let xml = report.junit()
        #expect(xml.components(separatedBy: "<testsuite ").count - 1 == 2)
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == 2 * BoundaryCheck.all.count)
        // Breach in the guest, the control's missed failure: two failures; one na: one skip.
        #expect(xml.components(separatedBy: "<failure ").count - 1 == 2)
        #expect(xml.components(separatedBy: "<skipped ").count - 1 == 1)
        #if canImport(FoundationXML) || os(macOS)
        final class Counter: NSObject, XMLParserDelegate {
            var elements: [String: Int] = [:]
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                        qualifiedName: String?, attributes: [String: String] = [:]) {
                elements[name, default: 0] += 1
            }
        }
        let parser = XMLParser(data: Data(xml.utf8))
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.elements["testcase"] == 2 * BoundaryCheck.all.count)
        #expect(counter.elements["failure"] == 2)
        #endif
    }

    @Test func sarifHasTheRequiredFields() throws {
        let report = try Self.sampleReport()
        let object = try JSONSerialization.jsonObject(with: report.sarif()) as? [String: Any]
        let log = try #require(object)
        #expect(log["version"] as? String == "2.1.0")
        let runs = try #require(log["runs"] as? [[String: Any]])
        let driver = try #require((runs.first?["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "isoprobe")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.compactMap { $0["id"] as? String } == BoundaryCheck.all.map(\.id))
        let results = try #require(runs.first?["results"] as? [[String: Any]])
        #expect(results.count == 2 * BoundaryCheck.all.count)
        for r in results {
            #expect(r["ruleId"] is String)
            #expect((r["message"] as? [String: Any])?["text"] is String)
            #expect(["error", "warning", "note", "none"].contains(r["level"] as? String ?? ""))
        }
        let errors = results.filter { $0["level"] as? String == "error" }.compactMap { $0["ruleId"] as? String }
        #expect(errors.sorted() == ["net.reach_host", "priv.seccomp"])
    }
}

extension KernelTests {
    /// The checker run natively against canaries planted natively: nothing separates it from
    /// them, so every process, IPC and network check must fail, which proves the checks can.
    @Suite struct NativeBoundaryCheckTests {
        static let checker = Repo.root + "/build/workloads/boundaries"

        /// One `boundaries plant` child, stopped with SIGTERM by `stop()`.
        final class Canary {
            let process = Foundation.Process()
            let tag: String, secret: String, shmKey: Int, abstract: String, port: Int
            var pid: Int32 { process.processIdentifier }

            init(_ role: String, file: String? = nil) throws {
                let salt = UInt32.random(in: 0..<UInt32.max)
                tag = "\(role)\(getpid())x\(String(salt, radix: 16))"
                secret = String(UInt64.random(in: 1..<UInt64.max), radix: 16)
                shmKey = Int.random(in: 0x1000_0000..<0x7000_0000)
                abstract = "isoprobe-test-\(tag)"
                port = Int.random(in: 20_000..<60_000)
                process.executableURL = URL(fileURLWithPath: NativeBoundaryCheckTests.checker)
                process.arguments = ["plant", "tag=\(tag)", "secret=\(secret)", "shm_key=\(shmKey)", "abstract=\(abstract)",
                                     "port=\(port)", "hold_ms=60000"] + (file.map { ["file=\($0)"] } ?? [])
                let out = Pipe()
                process.standardOutput = out
                process.standardError = FileHandle.nullDevice
                try process.run()
                // The ready line comes once every canary is in place.
                var seen = ""
                let deadline = Date().addingTimeInterval(10)
                while !seen.contains("\n"), process.isRunning, Date() < deadline {
                    seen += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
                }
                guard seen.hasPrefix("isoprobe-canary ready tag=\(tag) pid=\(process.processIdentifier)") else {
                    stop()
                    throw IsoprobeError(.failed, "canary \(tag) did not get ready", cause: seen)
                }
            }

            func stop() {
                if process.isRunning { kill(process.processIdentifier, SIGTERM) }
                process.waitUntilExit()
            }
        }

        @Test(.enabled(if: Requirements.isRoot || Requirements.inCI, "needs root (ptrace, SysV shm of another process)"))
        func nativeRunFailsEveryCrossingCheck() throws {
            try #require(Requirements.isRoot, "not running as root: run the tests with sudo")
            try #require(FileManager.default.isExecutableFile(atPath: Self.checker), "\(Self.checker) is missing: run `make checks`")
            let file = temporaryPath("canary-file")
            let scratchBefore = Self.scratchDirectories()
            let host = try Canary("h", file: file)
            defer { host.stop() }
            let peer = try Canary("p")
            defer { peer.stop() }
            let bootID = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let ifaces = try FileManager.default.contentsOfDirectory(atPath: "/sys/class/net").joined(separator: ",")

            let run = try runProcess(Self.checker, [
                "check", "host_tag=\(host.tag)", "host_secret=\(host.secret)", "host_shm_key=\(host.shmKey)",
                "host_abstract=\(host.abstract)", "host_port=\(host.port)", "host_file=\(file)", "host_pid=\(host.pid)",
                "host_boot_id=\(bootID)", "host_ifaces=\(ifaces)",
                "host_uts=\(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/uts"))",
                "peer_tag=\(peer.tag)", "peer_secret=\(peer.secret)", "peer_shm_key=\(peer.shmKey)",
                "peer_abstract=\(peer.abstract)", "peer_port=\(peer.port)", "hostname_probe=isoprobe-never-set",
            ], timeout: 30)
            #expect(run.status == 0, "\(run.stderr)")
            let output = try CheckerOutput.parse(run.stdout)
            #expect(output.ops == BoundaryCheck.all.count)
            // The bridge's checks need verify's bridge (VerifyTests run them): without its addresses, na.
            for check in BoundaryCheck.all where ["processes", "ipc", "network"].contains(check.category) {
                let expected: CheckVerdict = VerifyProfile.bridgeChecks.contains(check.id) ? .na : .fail
                #expect(output.check(check.id)?.verdict == expected, "\(check.id): \(output.check(check.id)?.evidence ?? "")")
            }
            #expect(output.check("proc.see_host")?.evidence.contains("pid \(host.pid) ") == true)
            #expect(output.check("fs.read_host_file")?.verdict == .fail)
            #expect(output.check("kernel.shared")?.verdict == .fail)
            #expect(output.check("priv.seccomp")?.verdict == .fail)
            // Sharing the host's UTS namespace, the checker must leave the hostname alone.
            #expect(output.check("id.hostname")?.verdict == .na)
            #expect(ProcessInfo.processInfo.hostName != "isoprobe-never-set")

            // Natively every control check fails, and the default container profile sees breaches.
            let control = try VerifyProfile.weakenedControl().evaluate(output.checks)
            #expect(control.filter(\.controlMiss).isEmpty)
            let asContainer = try VerifyProfile.containerDefault().evaluate(output.checks)
            #expect(asContainer.filter(\.contradiction).count >= 20)

            // The canaries leave nothing behind once stopped.
            host.stop()
            peer.stop()
            for c in [host, peer] {
                #expect(shmget(key_t(truncatingIfNeeded: c.shmKey), 0, 0) == -1 && errno == ENOENT, "shm \(c.shmKey) left")
                #expect(!FileManager.default.fileExists(atPath: "/tmp/isoprobe-canary-\(c.tag).ready"))
            }
            #expect(!FileManager.default.fileExists(atPath: file))
            // Nor does the checker: its tmpfs is unmounted, its scratch directories gone.
            let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mountinfo.contains(" isoprobe-check "), "a checker tmpfs is still mounted")
            #expect(Self.scratchDirectories().isSubset(of: scratchBefore), "\(Self.scratchDirectories().subtracting(scratchBefore))")
            let canaries = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { pid in
                let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                return cmdline.contains(host.tag) || cmdline.contains(peer.tag)
            }
            #expect(canaries.isEmpty, "canary processes left: \(canaries)")
        }

        /// The checker in a runc container from a `runc spec`-like config: every verdict must
        /// be what `VerifyProfile.container` derives from that config for this host.
        @Test(.enabled(if: Requirements.isRoot || Requirements.inCI, "needs root and runc"), arguments: ["runc-spec", "hardened", "weakened"])
        func runcContainerMatchesItsConfig(config: String) throws {
            try #require(Requirements.isRoot, "not running as root: run the tests with sudo")
            let runc = try Requirements.requireRunc()
            try #require(FileManager.default.isExecutableFile(atPath: Self.checker), "\(Self.checker) is missing: run `make checks`")
            let host = try Canary("r")
            defer { host.stop() }
            let bundle = temporaryPath("checks-bundle")
            let fm = FileManager.default
            for dir in Spec.hardenedRootfsDirectories { try fm.createDirectory(atPath: bundle + "/rootfs" + dir, withIntermediateDirectories: true) }
            defer { try? fm.removeItem(atPath: bundle) }
            try fm.copyItem(atPath: Self.checker, toPath: bundle + "/rootfs/boundaries")
            var spec = VerifyCheckTests.runcSpec()
            spec.mounts = Spec.hardenedMounts
            if config != "runc-spec" { spec = try Spec.hardened(rootfs: "rootfs", args: ["/boundaries"]) }
            if config == "weakened" { Self.weaken(&spec) }
            spec.process?.args = ["/boundaries", "check", "host_tag=\(host.tag)", "host_secret=\(host.secret)",
                                  "host_shm_key=\(host.shmKey)", "host_abstract=\(host.abstract)", "host_port=\(host.port)",
                                  "host_pid=\(host.pid)",
                                  "host_boot_id=\(try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))",
                                  "host_uts=\(try fm.destinationOfSymbolicLink(atPath: "/proc/self/ns/uts"))",
                                  "host_net=\(try fm.destinationOfSymbolicLink(atPath: "/proc/self/ns/net"))",
                                  "hostname_probe=isoprobe-test-probe"]
            try spec.write(to: bundle + "/config.json")
            let id = "isoprobe-test-checks-\(getpid())"
            let run = try runProcess(runc, ["run", "--bundle", bundle, id], timeout: 60)
            _ = try? runProcess(runc, ["delete", "--force", id], timeout: 10)
            #expect(run.status == 0, "\(run.stderr)")
            let output = try CheckerOutput.parse(run.stdout)
            let profile = config == "hardened" ? VerifyProfile.containerDefault(kernel: .current())
                : config == "weakened" ? VerifyProfile.weakenedControl(spec, kernel: .current())
                : VerifyProfile.container(spec, name: config, kernel: .current())
            let results = try profile.evaluate(output.checks)
            for result in results {
                #expect(result.matches, "\(result.id): \(result.verdict.rawValue) (\(result.evidence)) but expected \(result.expected.outcome.rawValue): \(result.expected.reason)")
            }
            #expect(output.check("proc.see_host")?.verdict == (config == "weakened" ? .fail : .pass))
            #expect(output.check("priv.seccomp")?.verdict == (config == "hardened" ? .pass : .fail))
            if config == "weakened" {
                #expect(results.filter(\.controlMiss).isEmpty, "\(results.filter(\.controlMiss).map { "\($0.id): \($0.evidence)" })")
            }
            if config == "hardened" {
                let failing = results.filter { $0.breach || $0.contradiction }
                #expect(failing.isEmpty, "\(failing.map { "\($0.id): \($0.evidence)" })")
            }
            #expect(!fm.fileExists(atPath: "/run/runc/\(id)"), "runc state left for \(id)")
        }

        /// The control's weakening: host pid and network namespaces, every capability, no seccomp.
        static func weaken(_ spec: inout Spec) {
            let names = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
                       "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
                       "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
                       "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
                       "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
                       "CHECKPOINT_RESTORE"]
            // Every capability this process may hand on: runc cannot grant more than its bounding set.
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let bounding = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }
                .flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) } ?? ~0
            let all = names.enumerated().filter { bounding >> UInt64($0.offset) & 1 == 1 }.map { "CAP_" + $0.element }
            spec.process?.capabilities = .init(bounding: all, effective: all, inheritable: all, permitted: all, ambient: all)
            spec.process?.noNewPrivileges = false
            spec.linux?.seccomp = nil
            let kept = spec.linux?.namespaces?.filter { $0.type != .pid && $0.type != .network }
            spec.linux?.namespaces = kept
        }

        static func scratchDirectories() -> Set<String> {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("isoprobe-check-") })
        }
    }
}
