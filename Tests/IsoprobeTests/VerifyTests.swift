import Environments
import Foundation
import IsoprobeCore
import Harness
import Host
import OCI
import Testing
@testable import Verify

/// `isoprobe verify`: real guests, real canaries, the weakened control, and nothing left over.
extension KernelTests {
    @Suite struct VerifyTests {
        static var checker: String { Repo.root + "/build/workloads/boundaries" }

        static func requireChecker() throws {
            try Requirements.requireKernelTestSetup()
            try #require(access(checker, X_OK) == 0, "build/workloads/boundaries is not built: make checks")
        }

        /// Runs `isoprobe verify ARGS --json F --no-neighbours`, decodes the report and checks
        /// the leftovers, including every canary process and file of the run.
        static func verify(_ args: [String], timeout: Double = 300,
                           whileRunning: ((Foundation.Process) -> Void)? = nil) throws -> (ProcessResult, VerifyReport?) {
            try requireChecker()
            let json = temporaryPath("verify", ".json")
            defer { try? FileManager.default.removeItem(atPath: json) }
            let before = Leftovers.Snapshot.take()
            let result = try runProcess(Repo.binary, ["verify"] + args + ["--no-neighbours", "--json", json],
                                        timeout: timeout, whileRunning: whileRunning)
            #expect(!result.timedOut, "isoprobe verify \(args) did not finish within \(timeout) s")
            let report = FileManager.default.contents(atPath: json).flatMap { try? VerifyReport.decode($0) }
            try Leftovers.check(afterProcess: result.pid, targets: [], since: before)
            expectNoCanaries()
            return (result, report)
        }

        /// No planter process, ready file or secret file of any verify run remains.
        static func expectNoCanaries() {
            let planters = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> String? in
                guard Int32(name) != nil, let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
                let argv0 = String(decoding: data.split(separator: 0).first ?? [], as: UTF8.self)
                return argv0.hasPrefix("isoprobe-canary-") || argv0.hasSuffix("/boundaries") ? "\(name) \(argv0)" : nil
            }
            #expect(planters.isEmpty, "boundaries processes left running: \(planters)")
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [])
                .filter { $0.hasPrefix("isoprobe-canary-") || $0.hasPrefix("isoprobe-verify-") }
            #expect(files.isEmpty, "canary files left in /tmp: \(files)")
        }

        /// The library alone (no CLI): the container's checks and the control, in this process.
        @Test func containerVerificationInProcess() throws {
            try Self.requireChecker()
            var resources = try Resources.locate(probesDirectory: Repo.probesDirectory)
            resources.workloadsDirectory = Repo.workloadsDirectory
            let before = Leftovers.Snapshot.take()
            let report = try VerifyRun(target: .container(.init()), neighbours: false, agentBinary: Repo.binary)
                .run(resources: resources)
            let guest = try #require(report.guests.first)
            #expect(guest.breaches.map(\.id) == [], "\(guest.breaches.map { "\($0.id): \($0.evidence)" })")
            #expect(report.control?.controlFailures == [], "control held: \(report.control?.controlFailures ?? [])")
            // The capability tracepoint saw A refused what the hardened profile withholds.
            let caps = try #require(guest.observations.capabilities, "capability probe: \(guest.notes)")
            #expect(caps.contains { $0.capability == "CAP_SYS_ADMIN" && $0.refused > 0 }, "\(caps)")
            #expect(report.control?.observations.capabilities?.isEmpty == false)
            #expect(report.exitStatus == .success, "\(report.text())")
            Self.expectNoCanaries()
            #expect(Leftovers.newCgroups(since: before).isEmpty)
        }

        @Test func defaultContainerHoldsAndTheControlFails() throws {
            let (result, report) = try Self.verify(["--env", "container"])
            let r = try #require(report, "no JSON report; stderr: \(result.stderr)")
            let guest = try #require(r.guests.first)
            #expect(guest.breaches.map(\.id) == [], "\(guest.breaches.map { "\($0.id): \($0.evidence)" })")
            #expect(guest.contradictions.map(\.id) == [], "\(guest.contradictions.map { "\($0.id): \($0.evidence)" })")
            #expect(guest.checks.count == BoundaryCheck.all.count)
            #expect(guest.configChanges == nil, "isoprobe's own profile is not a user's config")
            #expect(r.policy.kind == .hardened && !r.policy.required.contains("kernel.shared"))
            // The host saw A being refused: the checker's dangerous calls fail with EPERM.
            #expect(guest.observations.refusedSyscalls.contains { $0.errno == "EPERM" })
            let control = try #require(r.control)
            for id in ["proc.see_host", "proc.signal_host", "net.reach_host", "net.raw_socket", "priv.capabilities", "priv.seccomp"] {
                #expect(control.checks.first { $0.id == id }?.verdict == .fail, "control \(id) did not fail")
            }
            #expect(r.controlValid)
            Self.expectBridgeChecks(guest, control: control)
            Self.expectBridgeGone(guest.bridge)
            Self.expectBridgeGone(control.bridge)
            #expect(result.status == 0, "exit \(result.status); stderr: \(result.stderr)")
        }

        /// On verify's bridge: the hardened A reaches neither B's nor the host's listener there
        /// (its port passes IPv4 to the peer alone where nftables' bridge family exists, as
        /// here) and cannot open a packet socket; the control, in the host's namespace with
        /// every capability, opens one, captures B's chatter and the peer receives its frames
        /// from B's address. The host judged spoofing and capture by what reached the peer.
        static func expectBridgeChecks(_ guest: GuestVerification, control: GuestVerification) {
            func check(_ g: GuestVerification, _ id: String) -> CheckResult? { g.checks.first { $0.id == id } }
            let filtering = TestNetwork.bridgeFiltering.available
            for id in ["net.bridge_reach_peer", "net.bridge_reach_host"] {
                #expect(check(guest, id)?.classification == (filtering ? .held : .open), "\(id): \(check(guest, id)?.evidence ?? "")")
                #expect(check(guest, id)?.required == filtering)
                #expect(check(control, id)?.verdict == .fail, "control \(id): \(check(control, id)?.evidence ?? "")")
                // The peer, A's permitted target, got A's own datagram: the path was up.
                if filtering { #expect(check(guest, id)?.evidence.hasSuffix("A's own datagram reached the peer") == true) }
            }
            for id in ["net.raw_socket", "net.sniff_peer", "net.spoof_source"] {
                #expect(check(guest, id)?.classification == .held, "\(id): \(check(guest, id)?.evidence ?? "")")
                #expect(check(guest, id)?.evidence.contains("EPERM") == true, "\(id): \(check(guest, id)?.evidence ?? "")")
            }
            #expect(check(guest, "net.sniff_peer")?.evidence.contains("B's chatter reached the peer") == true)
            #expect(check(control, "net.raw_socket")?.required == true)
            #expect(check(control, "net.sniff_peer")?.verdict == .fail, "\(check(control, "net.sniff_peer")?.evidence ?? "")")
            #expect(check(control, "net.spoof_source")?.evidence.hasPrefix("the peer received A's") == true,
                    "\(check(control, "net.spoof_source")?.evidence ?? "")")
            #expect(guest.notes.contains { $0.hasPrefix(filtering ? "the bridge binds each guest's port" : "the bridge's ports are not bound") })
        }

        /// The bridge's namespaces, interfaces and the host's address on it are gone
        /// (`ip -all netns list`, `ip link`, `ip -br addr`).
        static func expectBridgeGone(_ bridge: BridgeSummary?, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let bridge else {
                Issue.record("A was not on a bridge", sourceLocation: sourceLocation)
                return
            }
            // A /24 freed is the next run's to take: with other isoprobes at work the same names
            // may be theirs already (as Leftovers does, they are not blamed on this run).
            if let other = Self.otherIsoprobeAtWork() {
                print("note: isoprobe pid \(other) is at work too; not checking \(bridge.switchNamespace) is gone")
                return
            }
            let netns = (try? runProcess("/usr/sbin/ip", ["-all", "netns", "list"]).stdout) ?? ""
            let links = (try? runProcess("/usr/sbin/ip", ["-o", "link"]).stdout) ?? ""
            let addresses = (try? runProcess("/usr/sbin/ip", ["-br", "-4", "addr"]).stdout) ?? ""
            let peer = bridge.switchNamespace.replacingOccurrences(of: "-switch", with: "-peer")
            #expect(!netns.contains(bridge.switchNamespace + " ") && !netns.contains(bridge.switchNamespace + "\n"),
                    "\(bridge.switchNamespace) left: \(netns)", sourceLocation: sourceLocation)
            #expect(!netns.contains(peer + " ") && !netns.contains(peer + "\n"), "\(peer) left", sourceLocation: sourceLocation)
            let prefix = String(bridge.bridge.dropLast(2))
            #expect(!links.split(separator: "\n").contains { $0.contains(": \(prefix)h") }, "\(prefix)h left: \(links)",
                    sourceLocation: sourceLocation)
            #expect(!addresses.contains(bridge.hostAddress + "/"), "\(bridge.hostAddress) left", sourceLocation: sourceLocation)
        }

        /// Another isoprobe, or another worktree's test process, running now.
        static func otherIsoprobeAtWork() -> Int32? {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).first { pid in
                guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let argv0 = String(decoding: data.split(separator: 0).first ?? [], as: UTF8.self)
                return argv0.hasSuffix("/isoprobe") || argv0.hasSuffix("isoprobePackageTests.xctest")
            }
        }

        /// With CAP_NET_RAW (as Docker grants) A opens a packet socket and crafts frames from
        /// B's IP and MAC. On a bridge that binds its ports the peer receives A's own datagram
        /// and none of them; on a plain bridge (ports not bound) it receives them: the spoofing
        /// check is judged by what arrived, and fails where the bridge lets a port spoof.
        @Test func rawSocketsOnBoundAndPlainBridges() throws {
            try Self.requireChecker()
            try #require(TestNetwork.bridgeFiltering.available || !Requirements.inCI, "\(TestNetwork.bridgeFiltering.reason)")
            var resources = try Resources.locate(probesDirectory: Repo.probesDirectory)
            resources.workloadsDirectory = Repo.workloadsDirectory
            var verification = BoundaryVerification(resources: resources, checker: Self.checker, agentBinary: Repo.binary)
            let config = ConfigFixtures.path("cap-net-raw")
            let target = VerifyTarget.container(.init(ociConfigPath: config))
            let before = Leftovers.Snapshot.take()
            func check(_ g: GuestVerification, _ id: String) -> CheckResult? { g.checks.first { $0.id == id } }
            for bound in TestNetwork.bridgeFiltering.available ? [true, false] : [false] {
                verification.bindsPorts = bound
                var kernel = KernelSettings.current()
                kernel.bridgeFiltering = bound
                let profile = VerifyProfile.container(try Spec.load(from: config), name: "oci-config", kernel: kernel)
                let guest = try verification.verify(target, profile: profile, required: [])
                #expect(guest.bridge?.portsBound == bound)
                Self.expectBridgeGone(guest.bridge)
                let spoof = try #require(check(guest, "net.spoof_source"))
                #expect(check(guest, "net.raw_socket")?.verdict == .fail)
                #expect(spoof.verdict == (bound ? .pass : .fail), "bound \(bound): \(spoof.evidence)")
                #expect(spoof.evidence.hasPrefix(bound ? "the peer received A's own datagram" : "the peer received A's spoof"),
                        "\(spoof.evidence)")
                #expect(spoof.classification != .contradiction, "bound \(bound): \(spoof.evidence)")
                #expect(check(guest, "net.bridge_reach_peer")?.verdict == (bound ? .pass : .fail),
                        "bound \(bound): \(check(guest, "net.bridge_reach_peer")?.evidence ?? "")")
                // A learning bridge keeps B's unicast frames from A's port either way.
                #expect(check(guest, "net.sniff_peer")?.verdict == .pass, "\(check(guest, "net.sniff_peer")?.evidence ?? "")")
                #expect(guest.contradictions.isEmpty, "\(guest.contradictions.map { "\($0.id): \($0.evidence)" })")
            }
            Self.expectNoCanaries()
            #expect(Leftovers.newCgroups(since: before).isEmpty)
        }

        /// A config made by `runc spec` (read-only root, no writable /tmp, a terminal) and each
        /// one-way change of it run to a verdict: every check is held or open as the config
        /// says (no contradiction), open ones named by their setting, and the config policy
        /// passes. The hardened policy fails runc spec (no seccomp filter) and a shared pid
        /// namespace on top.
        @Test(arguments: ConfigFixtures.variants.filter { $0.refusal == nil })
        func oneWayChangesOfRuncSpec(_ variant: ConfigFixtures.Variant) throws {
            let config = ConfigFixtures.path(variant.name)
            let (result, report) = try Self.verify(["--env", "container", "--oci-config", config, "--policy", "config"])
            let r = try #require(report, "no report; stderr: \(result.stderr)")
            let guest = try #require(r.guests.first)
            #expect(result.status == 0, "exit \(result.status); stderr: \(result.stderr)")
            #expect(r.policy.kind == .config && r.policy.required == [] && guest.breaches.isEmpty)
            #expect(guest.contradictions.isEmpty, "\(guest.contradictions.map { "\($0.id): \($0.evidence)" })")
            // What the checker saw is what the config allows, check by check.
            for c in guest.checks where c.expected.outcome != .either {
                #expect(c.classification == (c.expected.outcome == .fail ? .open : .held), "\(c.id): \(c.verdict) (\(c.evidence))")
            }
            let open = Set(guest.checks.filter { $0.classification == .open }.map(\.id))
            #expect(open.isSuperset(of: variant.opens), "\(variant.opens.subtracting(open))")
            #expect(open.isDisjoint(with: variant.closes), "\(open.intersection(variant.closes))")
            // What isoprobe changed to run in the config, each with why: runc spec asks for a terminal.
            // A container with a network namespace of its own is plugged into verify's bridge, IPv6 off.
            let bridged = variant.name != "no-network-namespace"
            let fields = guest.configChanges?.map(\.field) ?? []
            #expect(fields == ["process.args", "root.path", "process.terminal", "linux.cgroupsPath"] + (bridged ? ["linux.sysctl"] : [])
                    + ["hooks.startContainer", "mounts"])
            #expect(result.stdout.contains("isoprobe changed the config to run A and B in it:"))
            #expect(!result.stderr.contains("Read-only file system"), "\(result.stderr)")

            guard ["runc-spec", "no-pid-namespace"].contains(variant.name) else { return }
            let (hardened, hardenedReport) = try Self.verify(["--env", "container", "--oci-config", config])
            #expect(hardened.status == 5, "exit \(hardened.status); stderr: \(hardened.stderr)")
            let breaches = hardenedReport?.guests.first?.breaches ?? []
            #expect(breaches.contains { $0.id == "priv.seccomp" && $0.expected.reason == "no seccomp filter" })
            #expect(variant.opens.isSubset(of: Set(breaches.map(\.id))), "\(breaches.map(\.id))")
            #expect(hardened.stdout.contains("!!   proc.see_host: no pid namespace: shares the host's (the policy requires it)")
                    == (variant.name == "no-pid-namespace"))
        }

        /// A config equal to the hardened profile exits 0 under both policies.
        @Test func hardenedConfigPassesBothPolicies() throws {
            for (name, policy) in [("hardened", "hardened"), ("hardened", "config"), ("hardened-user-namespace", "hardened")] {
                let (result, report) = try Self.verify(["--env", "container", "--oci-config", ConfigFixtures.path(name),
                                                        "--policy", policy])
                #expect(result.status == 0, "\(name) under \(policy): exit \(result.status); \(result.stdout.suffix(600)) \(result.stderr)")
                #expect(report?.guests.first?.contradictions.isEmpty == true)
            }
        }

        /// A config the runtime would refuse is refused before anything starts, in one line
        /// naming the field and why (exit 2), by verify and run alike; one the runtime refuses
        /// anyway gets the runtime's words in one line (exit 1).
        @Test func refusedConfigsSayWhyInOneLine() throws {
            try Self.requireChecker()
            var cases: [(path: String, status: Int32, line: String)] = ConfigFixtures.variants.compactMap { v in
                v.refusal.map { (ConfigFixtures.path(v.name), 2, "isoprobe: \(ConfigFixtures.path(v.name)): \($0.field): \($0.words)") }
            }
            var made: [String] = []
            defer { made.forEach { unlink($0) } }
            func write(_ name: String, _ change: (inout Spec) -> Void) throws -> String {
                var spec = try ConfigFixtures.load("runc-spec")
                change(&spec)
                let path = temporaryPath(name, ".json")
                try spec.write(to: path)
                made.append(path)
                return path
            }
            // A capability this host cannot grant, where it lacks one (this machine drops CAP_SYS_RESOURCE).
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let bounding = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }
                .flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) } ?? ~0
            if let cap = CapabilityNames.all.first(where: { !CapabilityNames.names(inMask: bounding).contains($0) }) {
                let path = try write("ungrantable", ConfigFixtures.addCapability(cap))
                cases.append((path, 2, "isoprobe: \(path): process.capabilities.effective: \(cap) is outside this host's "
                    + "capability bounding set (CapBnd), so the runtime cannot grant it: remove it from the config"))
            }
            let rlimit = try write("rlimit") { $0.process?.rlimits?.append(.init(type: "RLIMIT_NOSUCH", hard: 1, soft: 1)) }
            cases.append((rlimit, 1, "isoprobe: runc refused --oci-config \(rlimit): wrong rlimit value: RLIMIT_NOSUCH"))
            for c in cases {
                let r = try runProcess(Repo.binary, ["verify", "--env", "container", "--oci-config", c.path, "--no-neighbours"],
                                       timeout: 120)
                #expect(r.status == c.status, "\(c.path): exit \(r.status): \(r.stderr)")
                let lines = r.stderrLines.filter { !$0.hasPrefix("isoprobe: checks from inside guest A") }
                #expect(lines == [c.line], "\(r.stderr)")
                #expect(r.stdout.isEmpty)
            }
            let run = try runProcess(Repo.binary, ["run", "--env", "container", "--oci-config", cases[0].path,
                                                   "--workload", "getpid:count=1", "--quiet"])
            #expect(run.status == 2 && run.stderrLines == [cases[0].line], "\(run.stderr)")
            Self.expectNoCanaries()
        }

        /// A policy file requires what it lists: the host's processes, which a shared pid
        /// namespace opens; or the host's files, devices, network and IPC, which that config keeps.
        @Test func policyFileRequiresWhatItLists() throws {
            let config = ConfigFixtures.path("no-pid-namespace")
            let file = temporaryPath("policy", ".toml")
            try "required = [\"proc.see_host\", \"net.*\"]\n".write(toFile: file, atomically: false, encoding: .utf8)
            defer { unlink(file) }
            for (policy, status) in [(file, Int32(5)), (Repo.root + "/fixtures/policies/no-host-files-or-network.toml", 0)] {
                let (result, report) = try Self.verify(["--env", "container", "--oci-config", config, "--policy", policy])
                #expect(result.status == status, "\(policy): exit \(result.status); stderr: \(result.stderr)")
                #expect(report?.policy.file == policy)
                #expect(result.stdout.contains("verdict (policy \(policy)): "))
            }
        }

        @Test(.enabled(if: VMRequirements.available || Requirements.inCI, "needs qemu-system-x86_64 and a guest kernel"))
        func vmHoldsEveryRequiredBoundary() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing")
            let (result, report) = try Self.verify(["--env", "vm"])
            let guest = try #require(report?.guests.first, "no report; stderr: \(result.stderr)")
            #expect(guest.breaches.map(\.id) == [], "\(guest.breaches.map { "\($0.id): \($0.evidence)" })")
            #expect(guest.checks.first { $0.id == "kernel.shared" }?.verdict == .pass)
            #expect(result.status == 0, "exit \(result.status); stderr: \(result.stderr)")
            // On the bridge the guest's root opens a packet socket and crafts frames from B's
            // addresses: the bound port drops them (the peer got A's own datagram only), and
            // a learning bridge shows A none of B's chatter, promiscuous or not.
            func check(_ id: String) -> CheckResult? { guest.checks.first { $0.id == id } }
            #expect(check("net.raw_socket")?.verdict == .fail && check("net.raw_socket")?.classification == .open)
            let filtering = TestNetwork.bridgeFiltering.available
            #expect(check("net.sniff_peer")?.verdict == .pass, "\(check("net.sniff_peer")?.evidence ?? "")")
            #expect(check("net.sniff_peer")?.evidence.contains("B's chatter reached the peer") == true)
            if filtering {
                for id in ["net.bridge_reach_peer", "net.bridge_reach_host", "net.spoof_source", "net.sniff_peer"] {
                    #expect(check(id)?.classification == .held && check(id)?.required == true, "\(id): \(check(id)?.evidence ?? "")")
                }
                #expect(check("net.spoof_source")?.evidence.hasPrefix("the peer received A's own datagram from \(guest.bridge?.address ?? "?")") == true)
            } else {
                #expect(check("net.spoof_source")?.verdict == .fail && check("net.spoof_source")?.classification == .open)
            }
            #expect(guest.bridge?.portsBound == filtering)
            #expect(report?.control?.checks.first { $0.id == "net.raw_socket" }?.verdict == .fail)
            Self.expectBridgeGone(guest.bridge)
        }

        @Test func interruptedVerifyLeavesNothing() throws {
            var peerNamespace: String?
            let (result, _) = try Self.verify(["--env", "container"], timeout: 120) { process in
                // Once B's planter runs on the bridge, the run is in the middle of everything it
                // owns: the bridge's namespaces, the peer's receiver, both canaries.
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline && !(Self.planterRunning(role: "p") && Self.receiver(of: process.processIdentifier) != nil) {
                    usleep(20_000)
                }
                if let pid = Self.receiver(of: process.processIdentifier),
                   let named = try? runProcess("/usr/sbin/ip", ["netns", "identify", String(pid)]).stdout {
                    peerNamespace = named.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                usleep(300_000)
                kill(process.processIdentifier, SIGINT)
            }
            // 130: isoprobe's code for an interruption (128 + SIGINT).
            #expect(result.status == 130, "exit \(result.status) after SIGINT; stderr: \(result.stderr)")
            let peer = try #require(peerNamespace, "the peer's receiver was never seen running")
            #expect(peer.hasPrefix("isoprobe-") && peer.hasSuffix("-peer"), "\(peer)")
            if let other = Self.otherIsoprobeAtWork() {
                print("note: isoprobe pid \(other) is at work too; not checking \(peer) is gone")
                return
            }
            let left = try runProcess("/usr/sbin/ip", ["-all", "netns", "list"]).stdout.split(separator: "\n")
                .map { String($0.split(separator: " ").first ?? "") }
            let switchNamespace = peer.replacingOccurrences(of: "-peer", with: "-switch")
            #expect(!left.contains(peer) && !left.contains(switchNamespace), "left after SIGINT: \(left)")
        }

        /// The peer's receiver (`boundaries receive`) started by isoprobe process `parent`.
        static func receiver(of parent: Int32) -> Int32? {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).first { pid in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let argv = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return argv.count > 1 && argv[0].hasSuffix("/boundaries") && argv[1] == "receive"
                    && ProcFS.stat(of: pid)?.ppid == parent
            }
        }

        /// A canary planter runs; with `role`, one whose tag ends in it (h: the host's, p: B's).
        static func planterRunning(role: String = "") -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).contains { name in
                guard let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return false }
                let argv0 = String(decoding: data.split(separator: 0).first ?? [], as: UTF8.self)
                return argv0.hasPrefix("isoprobe-canary-") && argv0.hasSuffix(role)
            }
        }
    }
}
