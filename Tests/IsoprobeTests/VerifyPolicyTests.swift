import Foundation
import IsoprobeCore
import OCI
import Testing
import Verify

/// Configs made by `runc spec` and changed one way: what each lets through, the class of
/// every check, the exit status under each policy, and the policy files. No container runs.
@Suite struct VerifyPolicyTests {
    typealias Variant = ConfigFixtures.Variant

    /// The checker's output for a config whose every open boundary was seen open: what a
    /// guest run from it shows when the kernel does as the config says.
    static func observed(opening open: Set<String>) -> [ObservedCheck] {
        BoundaryCheck.all.map { ObservedCheck(id: $0.id, verdict: open.contains($0.id) ? .fail : .pass, evidence: "test") }
    }

    static func profile(_ spec: Spec) -> VerifyProfile {
        .container(spec, name: "oci-config", kernel: ConfigFixtures.kernel)
    }

    static var hardenedRequired: Set<String> {
        VerdictPolicy.hardened.required(hardened: .containerDefault(userNamespace: false, kernel: ConfigFixtures.kernel))
    }

    static func report(_ checks: [CheckResult], policy: VerdictPolicy, required: Set<String>) -> VerifyReport {
        let control = VerifyProfile.weakenedControl()
        let controlChecks = BoundaryCheck.all.map {
            ObservedCheck(id: $0.id, verdict: control.mustFail.contains($0.id) ? .fail : .pass, evidence: "test")
        }
        return VerifyReport(policy: PolicySummary(policy, required: required),
                            guests: [GuestVerification(environment: "container", profile: "oci-config", isControl: false, checks: checks)],
                            control: GuestVerification(environment: "container", profile: "weakened-control", isControl: true,
                                                       checks: try! control.evaluate(controlChecks)))
    }

    /// Each config's open boundaries are those of `runc spec` plus what its one change opens,
    /// each named by the setting; seen so, every check is held or open (none a contradiction),
    /// and the exit status is 5 under the hardened policy (runc spec has no seccomp filter)
    /// and 0 under the config policy.
    @Test(arguments: ConfigFixtures.variants.filter { $0.refusal == nil })
    func variantClassesAndExitStatus(_ variant: Variant) throws {
        let spec = try ConfigFixtures.load(variant.name)
        let profile = Self.profile(spec)
        let open = Set(BoundaryCheck.all.map(\.id).filter { profile.expectation($0).outcome != .pass })
        #expect(open == variant.open, "opened \(open.subtracting(variant.open).sorted()), closed \(variant.open.subtracting(open).sorted())")

        let hardened = try profile.evaluate(Self.observed(opening: open), requiring: Self.hardenedRequired)
        for c in hardened {
            #expect(c.classification == (open.contains(c.id) ? .open : .held), "\(c.id)")
            if c.classification == .open { #expect(!c.expected.reason.isEmpty, "\(c.id) names no setting") }
        }
        let breaches = Set(hardened.filter(\.breach).map(\.id))
        #expect(breaches == open.intersection(Self.hardenedRequired))
        #expect(breaches.contains("priv.seccomp"))
        #expect(Self.report(hardened, policy: .hardened, required: Self.hardenedRequired).exitStatus == .verdictFailed)
        let config = try profile.evaluate(Self.observed(opening: open), requiring: [])
        #expect(Self.report(config, policy: .config, required: []).exitStatus == .success)
    }

    /// The setting each change opens is what an open check names.
    @Test func openChecksNameTheSetting() throws {
        let reasons: [(config: String, check: String, words: String)] = [
            ("no-pid-namespace", "proc.see_host", "no pid namespace"),
            ("no-network-namespace", "net.reach_host", "no network namespace"),
            ("no-ipc-namespace", "ipc.shm_peer", "no ipc namespace"),
            ("cap-sys-admin", "priv.capabilities", "CAP_SYS_ADMIN without a user namespace"),
            ("cap-sys-ptrace", "priv.call.userfaultfd", "CAP_SYS_PTRACE"),
            ("device-kvm", "fs.dev_kvm", "/dev/kvm is in linux.devices"),
            ("host-root-mount", "fs.read_host_file", "a bind mount shows the host's /tmp at /host/tmp"),
            ("new-privileges", "priv.no_new_privs", "noNewPrivileges false"),
            ("runc-spec", "priv.seccomp", "no seccomp filter"),
            ("runc-spec", "priv.call.keyctl", "no seccomp filter"),
        ]
        for r in reasons {
            let reason = Self.profile(try ConfigFixtures.load(r.config)).expectation(r.check).reason
            #expect(reason.contains(r.words), "\(r.config) \(r.check): \(reason)")
        }
    }

    /// A config equal to the hardened profile holds all the hardened policy requires: exit 0
    /// under both policies.
    @Test(arguments: ConfigFixtures.hardened.map(\.name))
    func hardenedConfigPassesBothPolicies(_ name: String) throws {
        let entry = try #require(ConfigFixtures.hardened.first { $0.name == name })
        let profile = Self.profile(try ConfigFixtures.load(name))
        let open = Set(BoundaryCheck.all.map(\.id).filter { profile.expectation($0).outcome != .pass })
        #expect(open == entry.open)
        #expect(open.isDisjoint(with: Self.hardenedRequired), "\(open.intersection(Self.hardenedRequired))")
        for (policy, required) in [(VerdictPolicy.hardened, Self.hardenedRequired), (.config, [])] {
            let checks = try profile.evaluate(Self.observed(opening: open), requiring: required)
            #expect(Self.report(checks, policy: policy, required: required).exitStatus == .success, "\(policy.name)")
        }
    }

    /// The config closes the boundary yet it was open: a contradiction, failing every policy.
    @Test func contradictionFailsEveryPolicy() throws {
        let spec = try ConfigFixtures.load("runc-spec")
        let profile = Self.profile(spec)
        var seen = Self.observed(opening: ConfigFixtures.runcSpecOpens)
        let i = try #require(seen.firstIndex { $0.id == "proc.see_host" })
        seen[i].verdict = .fail
        for (policy, required) in [(VerdictPolicy.hardened, Self.hardenedRequired), (.config, []),
                                   (.file("p.toml", requiring: ["net.reach_host"]), ["net.reach_host"])] {
            let checks = try profile.evaluate(seen, requiring: required)
            let c = try #require(checks.first { $0.id == "proc.see_host" })
            #expect(c.classification == .contradiction && c.contradiction && !c.breach)
            let report = Self.report(checks, policy: policy, required: required)
            #expect(report.exitStatus == .verdictFailed, "\(policy.name)")
            #expect(report.text().contains("!!   proc.see_host: closed by the config (private pid namespace)"))
        }
    }

    /// The host's secret file is A's to read where a bind mount shows the host's temporary
    /// folder (a bind that is not recursive stops at a host mount point) and A is its owner.
    @Test func hostFileFollowsBindMounts() throws {
        var spec = try ConfigFixtures.load("runc-spec")
        spec.mounts?.append(Mount(destination: "/host", type: "bind", source: "/", options: ["bind", "ro"]))
        func expectation(_ spec: Spec, mountPoints: [String]) -> Verify.Expectation {
            VerifyProfile.container(spec, name: "x", layout: HostLayout(temporaryDirectory: "/tmp", mountPoints: mountPoints))
                .expectation("fs.read_host_file")
        }
        #expect(expectation(spec, mountPoints: ["/"]).outcome == .fail)
        #expect(expectation(spec, mountPoints: ["/"]).reason == "a bind mount shows the host's /tmp at /host/tmp, and A is the host's uid 0")
        #expect(expectation(spec, mountPoints: ["/", "/tmp"]).outcome == .pass)
        var userns = spec
        ConfigFixtures.variants.first { $0.name == "user-namespace" }!.change(&userns)
        #expect(expectation(userns, mountPoints: ["/"]).reason.hasSuffix("but the file is root's (0600) and A is host uid 100000"))
        var user = spec
        user.process?.user = .init(uid: 1000, gid: 1000)
        #expect(expectation(user, mountPoints: ["/"]).outcome == .pass)
        // Kept across exec by a uid other than 0 only as an ambient capability.
        let dac = ["CAP_DAC_READ_SEARCH"]
        user.process?.capabilities = .init(bounding: dac, effective: dac, inheritable: dac, permitted: dac, ambient: dac)
        #expect(expectation(user, mountPoints: ["/"]).outcome == .fail)
    }

    /// A check not tried is held where the config closes the boundary and open where it
    /// leaves it open.
    @Test func notTriedFollowsTheConfig() {
        #expect(CheckClass(verdict: .na, expected: .pass) == .held)
        #expect(CheckClass(verdict: .na, expected: .fail) == .open)
        #expect(CheckClass(verdict: .na, expected: .either) == .open)
        #expect(CheckClass(verdict: .fail, expected: .either) == .open)
        #expect(CheckClass(verdict: .pass, expected: .fail) == .held)
    }

    /// The hardened policy for containers: every boundary of the hardened profile without a
    /// user namespace, so neither kernel.shared nor root being the host's root.
    @Test func hardenedPolicyForContainersLeavesTheKernelOut() {
        let required = Self.hardenedRequired
        #expect(!required.contains("kernel.shared"))
        #expect(!required.contains("id.root_is_host_root"))
        for id in ["proc.see_host", "net.reach_host", "ipc.shm_host", "id.hostname", "fs.read_host_file", "priv.seccomp",
                   "priv.capabilities", "priv.no_new_privs"] {
            #expect(required.contains(id), "\(id)")
        }
        #expect(VerdictPolicy.hardened.required(hardened: .vm(kernel: ConfigFixtures.kernel)).contains("kernel.shared"))
        #expect(VerdictPolicy.config.required(hardened: .vm(kernel: ConfigFixtures.kernel)).isEmpty)
    }

    /// Which network checks `--policy hardened` requires on verify's bridge: where nftables'
    /// bridge family binds the ports, reaching B or the host there, capturing and spoofing;
    /// a plain bridge leaves reaching open by design (and, in a guest whose root crafts
    /// frames, spoofing), so those are not required. The hardened container also holds no
    /// CAP_NET_RAW; a QEMU guest's root opens raw sockets in its own kernel.
    @Test func hardenedPolicyOnTheBridge() {
        let bridge = ["net.bridge_reach_peer", "net.bridge_reach_host", "net.sniff_peer", "net.spoof_source"]
        var plain = ConfigFixtures.kernel
        plain.bridgeFiltering = false
        let container = VerdictPolicy.hardened.required(hardened: .containerDefault(kernel: ConfigFixtures.kernel))
        let plainContainer = VerdictPolicy.hardened.required(hardened: .containerDefault(kernel: plain))
        let vm = VerdictPolicy.hardened.required(hardened: .vm(kernel: ConfigFixtures.kernel))
        let plainVM = VerdictPolicy.hardened.required(hardened: .vm(kernel: plain))
        #expect(container.isSuperset(of: bridge + ["net.raw_socket"]))
        #expect(plainContainer.isSuperset(of: ["net.raw_socket", "net.sniff_peer", "net.spoof_source"]))
        #expect(plainContainer.isDisjoint(with: ["net.bridge_reach_peer", "net.bridge_reach_host"]))
        #expect(vm.isSuperset(of: bridge) && !vm.contains("net.raw_socket"))
        #expect(plainVM.isDisjoint(with: bridge + ["net.raw_socket"]))
        let reason = VerifyProfile.containerDefault(kernel: plain).expectation("net.bridge_reach_host").reason
        #expect(reason.contains("plain Linux bridge") && reason.contains("open by design"), "\(reason)")
        #expect(VerifyProfile.weakenedControl().mustFail.contains("net.raw_socket"))
    }

    /// What the report, JUnit and SARIF say of each class.
    @Test func everyFormatCarriesTheClass() throws {
        let profile = Self.profile(try ConfigFixtures.load("no-pid-namespace"))
        var seen = Self.observed(opening: ConfigFixtures.variants[1].open)
        seen[seen.firstIndex { $0.id == "net.reach_host" }!].verdict = .fail
        let report = Self.report(try profile.evaluate(seen, requiring: Self.hardenedRequired), policy: .hardened,
                                 required: Self.hardenedRequired)
        let text = report.text()
        #expect(text.contains("!!   proc.see_host: no pid namespace: shares the host's (the policy requires it)"))
        #expect(text.contains("     kernel.shared: a container shares the host's kernel\n"))
        #expect(text.contains("!!   net.reach_host: closed by the config (private network namespace)"))
        #expect(text.contains("verdict (policy hardened): "))

        let json = String(decoding: try report.jsonData(), as: UTF8.self)
        for cls in CheckClass.allCases { #expect(json.contains("\"classification\" : \"\(cls.rawValue)\"")) }
        #expect(json.contains("\"policy\" : {"))

        let junit = report.junit()
        #expect(junit.contains("<property name=\"class\" value=\"contradiction\"/>"))
        #expect(junit.contains("type=\"open\""))
        #expect(junit.contains("type=\"contradiction\""))

        let sarif = try #require(try JSONSerialization.jsonObject(with: report.sarif()) as? [String: Any])
        let results = try #require((sarif["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        let classes = Set(results.compactMap { ($0["properties"] as? [String: Any])?["class"] as? String })
        #expect(classes == Set(CheckClass.allCases.map(\.rawValue)))
        let seeHost = try #require(results.first { $0["ruleId"] as? String == "proc.see_host" })
        #expect(seeHost["level"] as? String == "error")
        let kernel = try #require(results.first { $0["ruleId"] as? String == "kernel.shared" })
        #expect(kernel["level"] as? String == "warning")
    }

    // MARK: - Policy files

    static func write(_ text: String) throws -> String {
        let path = temporaryPath("policy", ".toml")
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test func policyFileExpandsWildcards() throws {
        let path = try Self.write("description = \"processes and the network\"\nrequired = [\"proc.*\", \"net.reach_host\", \"priv.call.*\"]\n")
        defer { unlink(path) }
        let policy = try VerdictPolicy.load(path: path)
        #expect(policy.kind == .file && policy.file == path && policy.name == path)
        let expected = Set(BoundaryCheck.all.map(\.id).filter { $0.hasPrefix("proc.") || $0.hasPrefix("priv.call.") } + ["net.reach_host"])
        #expect(policy.required(hardened: .vm()) == expected)
        let all = try VerdictPolicy.parse(text: "required = [\"*\"]", path: "all.toml")
        #expect(all.listed.count == BoundaryCheck.all.count)
        let fixture = try VerdictPolicy.load(path: Repo.root + "/fixtures/policies/no-host-files-or-network.toml")
        #expect(fixture.listed.contains("fs.read_host_file") && fixture.listed.contains("ipc.abstract_peer"))
        #expect(!fixture.listed.contains { $0.hasPrefix("proc.") })
    }

    /// Each mistake is one line naming the file, line, column and field, as for suite files.
    @Test(arguments: [
        ("required = [\"proc.see_hots\"]", "p.toml:1:13: required: no check \"proc.see_hots\"; did you mean \"proc.see_host\"?"),
        ("required = [\"procs.*\"]", "p.toml:1:13: required: \"procs.*\" matches no check; wildcards are proc.*, fs.*"),
        ("required = \"proc.*\"", "p.toml:1:12: required: expected an array of check ids such as"),
        ("required = []", "p.toml:1:12: required: an empty list requires nothing: use --policy config for that"),
        ("required = [\"proc.*\", \"proc.*\"]", "p.toml:1:23: required: \"proc.*\" is listed twice"),
        ("required = [1]", "p.toml:1:13: required: expected a check id or a wildcard as a string, got integer 1"),
        ("requried = [\"proc.*\"]", "p.toml:1:1: requried: unknown key; did you mean 'required'?"),
        ("description = \"x\"", "p.toml:1:1: required: missing: list the checks that must hold"),
        ("required = [\"proc.*\"", "p.toml:1:"),
    ])
    func policyFileMistakes(_ text: String, _ message: String) {
        #expect {
            _ = try VerdictPolicy.parse(text: text, path: "p.toml")
        } throws: { error in
            let line = "\(error)"
            return (error as? IsoprobeError)?.kind == .usage && line.hasPrefix(message) && !line.contains("\n")
        }
    }

    // MARK: - The fixtures

    /// Each fixture is `runc spec`'s config (as runc writes it on this host) changed in the one
    /// way its name says, and the hardened ones are the hardened profile.
    @Test(.enabled(if: Requirements.runc != nil || Requirements.inCI, "needs runc for `runc spec`"))
    func fixturesAreRuncSpecChangedOneWay() throws {
        let runc = try Requirements.requireRunc()
        let dir = temporaryPath("runc-spec")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try runProcess(runc, ["spec"], directory: dir, timeout: 30)
        #expect(made.status == 0, "\(made.stderr)")
        let base = try Spec.load(from: dir + "/config.json")
        for variant in ConfigFixtures.variants {
            var expected = base
            variant.change(&expected)
            #expect(try ConfigFixtures.load(variant.name) == expected, "fixtures/configs/\(variant.name).json")
        }
        for entry in ConfigFixtures.hardened {
            #expect(try ConfigFixtures.load(entry.name) == ConfigFixtures.hardenedSpec(userNamespace: entry.userNamespace))
        }
    }
}
