import Foundation
import Host
import IsoprobeCore
import Testing

extension KernelTests {
    /// Network workloads over the path isoprobe builds: a client in each environment, the
    /// server in the peer namespace, and what each side counted must agree exactly. Nothing
    /// of the path (namespaces, interfaces, 198.18/15 addresses) may outlive the run.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct NetworkRunTests {
        /// Natively, in a bridged container and in a guest: N transactions are N at the server,
        /// over a veth, a veth from the container's own namespace, and a tap.
        @Test func tcpRRCountsAgreeInEveryEnvironment() throws {
            try #require(VMRequirements.available || !Requirements.inCI, "qemu-system-x86_64 or the guest kernel is missing")
            let envs = VMRequirements.available ? "native,container,vm" : "native,container"
            let r = try isoprobe(["run", "--env", envs, "--workload", "tcp-rr:count=400,size=32", "--quiet"], timeout: 240)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document, "no JSON; stderr: \(r.process.stderr)")
            #expect(doc.runs.count == envs.split(separator: ",").count)
            for run in doc.runs {
                #expect(run.exit.succeeded, "\(run.environment): \(run.exit)")
                #expect(run.workloadReport?.ops == 400, "\(run.environment): client ops \(run.workloadReport?.ops ?? 0)")
                let net = try #require(run.network, "\(run.environment): no network figures")
                #expect(net.peer?.transactions == 400, "\(run.environment): the server answered \(net.peer?.transactions ?? 0)")
                #expect(net.peer?.connections == 1)
                // The header (24 bytes) and 400 requests of 32 bytes.
                #expect(net.peer?.bytesIn == 24 + 400 * 32 && net.peer?.bytesOut == 400 * 32)
                #expect((net.peer?.busyNs ?? 0) > 0, "the server's side is timed")
                #expect(Self.inBenchmarkRange(net.path.address) && Self.inBenchmarkRange(net.path.peerAddress))
                #expect(net.path.interface.hasPrefix("isoprobe") && net.path.interface.utf8.count <= 15)
                #expect(net.path.mtu == 1500)
                #expect((run.workloadFigure("transactions_per_sec") ?? 0) > 0)
                #expect(run.workloadFigure("p99_ns") != nil && run.workloadFigure("p999_ns") != nil)
                // The client's connection, seen by the syscall probe in the environment's kernel.
                #expect(run.syscall("connect")?.count == 1, "\(run.environment): connect \(run.syscall("connect")?.count ?? 0)")
            }
            let devices = Dictionary(uniqueKeysWithValues: doc.runs.map { ($0.environment, $0.network?.path.device) })
            #expect(devices["native"] == "veth" && devices["container"] == "veth")
            if VMRequirements.available {
                #expect(devices["vm"] == "tap")
                let vm = doc.runs.first { $0.environment == "vm" }?.network
                #expect(vm?.path.vhost == FileManager.default.fileExists(atPath: "/dev/vhost-net"))
                #expect((vm?.vmmCpuPerTransactionNs ?? 0) > 0, "the VMM's CPU per transaction")
                // The network probe ran in the guest's own kernel too, and on the host.
                #expect(vm?.guestProbes?.kernel == "guest" && vm?.guestProbes?.note == nil, "\(String(describing: vm?.guestProbes))")
                #expect(vm?.probes?.kernel == "host")
                #expect((vm?.guestProbes?.softirq.count ?? 0) >= 1)
            }
            #expect(Set(doc.runs.compactMap { $0.network?.path.address }).count == doc.runs.count,
                    "each environment has its own address on the bridge")
            try Self.expectNothingLeft(of: doc)
        }

        /// Streams both ways: every byte sent is a byte the other side counted; the container
        /// in the host's namespace is its own labelled environment on the host's veth.
        @Test func tcpStreamBytesAgreeAndHostNetworkIsItsOwnEnvironment() throws {
            let bytes = 3_000_000
            let r = try isoprobe(["run", "--env", "native,container", "--network", "host",
                                  "--workload", "tcp-stream:direction=tx,bytes=\(bytes)",
                                  "--workload", "tcp-stream:direction=rx,bytes=\(bytes),size=16384", "--quiet"], timeout: 120)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document)
            #expect(Set(doc.runs.map(\.environment)) == ["native", "container-host"])
            for run in doc.runs {
                let peer = try #require(run.network?.peer, "\(run.environment): no server figures")
                #expect(run.workloadFigure("bytes") == Double(bytes))
                #expect((run.workloadFigure("throughput_bps") ?? 0) > 0)
                // The network probe and the peer's interface counters saw the same bytes go by
                // (with TCP/IP headers, so a little more).
                let probes = try #require(run.network?.probes, "\(run.environment): no network probe figures")
                #expect(probes.note == nil, "\(probes.note ?? "")")
                #expect(probes.softirq.count == ProcessInfo.processInfo.activeProcessorCount || probes.softirq.count > 0)
                if run.workload.parameters["direction"] == "tx" {
                    #expect(peer.bytesIn == UInt64(24 + bytes), "the server received \(peer.bytesIn)")
                    #expect((probes.bytesSent ?? 0) >= UInt64(bytes) && (probes.bytesSent ?? 0) < UInt64(bytes) * 11 / 10)
                } else {
                    #expect(peer.bytesOut == UInt64(bytes), "the server sent \(peer.bytesOut)")
                    #expect((probes.bytesReceived ?? 0) >= UInt64(bytes) && (probes.bytesReceived ?? 0) < UInt64(bytes) * 11 / 10)
                }
                #expect(probes.softirq.contains { $0.netRxNs > 0 }, "a stream of \(bytes) bytes took no NET_RX softirq time")
            }
            let host = doc.runs.filter { $0.environment == "container-host" }
            #expect(host.allSatisfy { $0.network?.path.mode == "host" && $0.network?.path.device == "veth" })
            let summary = try #require(doc.summary)
            #expect(summary.metrics.contains { $0.environment == "container-host" && $0.metric == "net_throughput_bps" })
            try Self.expectNothingLeft(of: doc)
        }

        /// `--network bridge,host`: both container variants in one plan, their rounds paired, so
        /// container-host is judged against the bridged container directly (tcp-rr's latency,
        /// tcp-stream's throughput, each with its interval) as well as against native.
        @Test func bridgeAndHostContainersInOnePlanArePairedByRound() throws {
            let r = try isoprobe(["run", "--env", "native,container", "--network", "bridge,host", "--reps", "2",
                                  "--workload", "tcp-rr:duration_ms=200", "--workload", "tcp-stream:duration_ms=200"], timeout: 180)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document)
            #expect(doc.schemaVersion == 6)
            #expect(doc.runs.map(\.environment).uniqued() == ["native", "container", "container-host"])
            #expect(doc.runs.filter { $0.environment == "container" }.allSatisfy { $0.network?.path.mode == "bridge" })
            #expect(doc.runs.filter { $0.environment == "container-host" }.allSatisfy { $0.network?.path.mode == "host" })
            let summary = try #require(doc.summary)
            for (workload, metric) in [("tcp-rr:duration_ms=200", "net_latency_p50_ns"), ("tcp-stream:duration_ms=200", "net_throughput_bps")] {
                let host = try #require(summary.metrics.first { $0.workload == workload && $0.environment == "container-host" && $0.metric == metric })
                let r = try #require(host.vsContainer, "\(workload): no ratio to the bridged container")
                #expect(r.method == .paired && r.n == 2)
                #expect(r.ciLow <= r.ratio && r.ratio <= r.ciHigh && r.ratio > 0)
                // The geometric mean of the two rounds' ratios, from the runs themselves.
                let figure = try #require(MetricDefinition.named(metric))
                let rounds = (1...2).map { n -> Double in
                    let of = { (env: String) in doc.runs.first { $0.workload.spec == workload && $0.environment == env && $0.repetition == n }.flatMap(figure.value) ?? .nan }
                    return of("container-host") / of("container")
                }
                #expect(abs(r.ratio - (rounds[0] * rounds[1]).squareRoot()) < 1e-9 * r.ratio, "\(r.ratio) from rounds \(rounds)")
                #expect(host.vsNative != nil, "container-host is judged against native too")
                #expect(summary.metrics.allSatisfy { $0.environment == "container-host" || $0.vsContainer == nil })
            }
            #expect(r.process.stdout.contains("container in the host's namespace against the bridged container"), "\(r.process.stdout)")
            #expect(r.process.stdout.contains("latency p50") && r.process.stdout.contains("throughput"))
            // The document holds to the published schema.
            let saved = temporaryPath("paired", ".json")
            defer { try? FileManager.default.removeItem(atPath: saved) }
            try doc.jsonData().write(to: URL(fileURLWithPath: saved))
            let check = try runProcess("/usr/bin/python3", ["-c", """
                import json, sys, jsonschema
                errors = [e.message for e in jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).iter_errors(json.load(open(sys.argv[2])))]
                print("\\n".join(errors) or "valid")
                """, Repo.root + "/docs/result.schema.json", saved])
            #expect(check.stdout == "valid\n", "\(check.stdout) \(check.stderr)")
            try Self.expectNothingLeft(of: doc)
        }

        /// --network takes one mode, or bridge,host: anything else is refused in one line.
        @Test func aNetworkListOtherThanBridgeAndHostIsRefused() throws {
            let r = try isoprobe(["run", "--env", "native,container", "--network", "bridge,none", "--workload", "tcp-rr"], json: false)
            #expect(r.process.status == 2, "status \(r.process.status)")
            #expect(r.process.stderr.contains("--network takes one of bridge, host or none, or bridge,host"), "\(r.process.stderr)")
        }

        /// A guest's stream: the host's view gives the VMM's CPU per megabyte moved (a stream
        /// has no transactions), in the run's network figures, the summary and the report,
        /// which says whether vhost-net served the card.
        @Test(.enabled(if: VMRequirements.available || Requirements.inCI, "needs qemu-system-x86_64 and a guest kernel"))
        func aGuestsStreamReportsTheVMMsCPUPerMegabyte() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            let bytes = 4_000_000
            let r = try isoprobe(["run", "--env", "vm", "--workload", "tcp-stream:direction=tx,bytes=\(bytes)"], timeout: 180)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document)
            let run = try #require(doc.runs.first)
            let net = try #require(run.network, "no network figures")
            let peer = try #require(net.peer)
            #expect(peer.bytesIn == UInt64(24 + bytes))
            #expect(net.vmmCpuPerTransactionNs == nil, "a stream has no transactions")
            let perMB = try #require(net.vmmCpuPerMegabyteNs, "no VMM CPU per MB")
            let oncpu = try #require(run.hostView?.sched?.oncpuTotalNs, "no host view of QEMU's CPU")
            #expect(oncpu > 0 && abs(perMB - Double(oncpu) / (Double(peer.bytesIn + peer.bytesOut) / 1e6)) <= perMB * 1e-9)
            let summary = try #require(doc.summary)
            #expect(summary.metrics.contains { $0.environment == "vm" && $0.metric == "vmm_cpu_per_mb_ns" && $0.median == perMB })
            #expect(MetricDefinition.named("vmm_cpu_per_mb_ns")?.gating == false)
            #expect(r.process.stdout.contains("per MB moved"), "\(r.process.stdout)")
            // The path's note says whether vhost-net served the card (this host has no /dev/vhost-net).
            let vhost = FileManager.default.fileExists(atPath: "/dev/vhost-net")
            #expect(net.path.vhost == vhost)
            #expect(vhost || r.process.stdout.contains("no vhost-net: /dev/vhost-net is absent"), "\(r.process.stdout)")
            try Self.expectNothingLeft(of: doc)
        }

        /// UDP request/response and a connection per transaction: the server's datagrams and
        /// connections are the client's transactions.
        @Test func udpRRAndTCPCRRCountsAgree() throws {
            let r = try isoprobe(["run", "--env", "native", "--workload", "udp-rr:count=300",
                                  "--workload", "tcp-crr:count=150", "--quiet"], timeout: 60)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document)
            let udp = try #require(doc.runs.first { $0.workload.name == "udp-rr" })
            let crr = try #require(doc.runs.first { $0.workload.name == "tcp-crr" })
            #expect(udp.network?.peer?.datagrams == 300 && udp.workloadReport?.ops == 300)
            #expect(crr.network?.peer?.connections == 150 && crr.network?.peer?.transactions == 150)
            #expect(crr.syscall("connect")?.count == 150, "connect \(crr.syscall("connect")?.count ?? 0)")
            try Self.expectNothingLeft(of: doc)
        }

        /// A network workload is refused before anything runs when its peer would be
        /// another host.
        @Test func aPeerOutsideTheBenchmarkRangeIsRefused() throws {
            let r = try isoprobe(["run", "--workload", "tcp-rr:host=192.0.2.1", "--quiet"], json: false, timeout: 30)
            #expect(r.process.status == 2, "status \(r.process.status): \(r.process.stderr)")
            #expect(r.process.stderr.contains("198.18.0.0/15"), "\(r.process.stderr)")
        }

        /// A SIGKILLed run leaves its namespaces, host veth and server; the next isoprobe's
        /// sweep removes all of them.
        @Test func cleanupRemovesWhatAKilledRunLeft() throws {
            try Requirements.requireKernelTestSetup()
            let state = temporaryPath("state")
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: state) }
            var env = smallEnvironment()
            env["ISOPROBE_STATE_DIR"] = state
            var seen: [String] = []
            // Other runs on this machine may hold networks of their own: only new ones are this run's.
            let before = Set(Self.namespaces())
            let killed = try runProcess(Repo.binary, ["run", "--no-history", "--quiet", "--workload", "tcp-rr:duration_ms=4000"],
                                        environment: env, timeout: 60) { process in
                let deadline = Date().addingTimeInterval(20)
                while Date() < deadline && seen.count < 2 {
                    seen = Self.namespaces().filter { !before.contains($0) }
                    usleep(50_000)
                }
                usleep(300_000)
                kill(process.processIdentifier, SIGKILL)
            }
            #expect(killed.reason == .uncaughtSignal)
            #expect(seen.count >= 2, "the run's switch and peer namespaces never appeared: \(seen)")
            #expect(seen.allSatisfy(Self.namespaces().contains), "a SIGKILLed run cannot have removed its namespaces")
            let cleanup = try runProcess(Repo.binary, ["cleanup"], environment: env, timeout: 60)
            #expect(cleanup.status == 0, "\(cleanup.stderr)")
            #expect(cleanup.stdout.contains("network namespace"), "\(cleanup.stdout)")
            for name in seen { #expect(!Self.namespaces().contains(name), "\(name) is still there after cleanup") }
            // isoprobe-3-switch: the run's host veth is isoprobe3h.
            let hosts = seen.map { "isoprobe" + $0.split(separator: "-")[1] + "h" }
            #expect(!Self.benchmarkAddresses().contains { line in hosts.contains { line.hasPrefix($0) } },
                    "198.18/15 addresses left: \(Self.benchmarkAddresses())")
            let server = try runProcess("/usr/bin/pgrep", ["-f", "peer-server port="])
            #expect(server.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "the peer's server still runs")
        }

        /// Seen from inside: the bridged container's namespace has IPv6 off everywhere (no
        /// address at all) and one route, its /24's, no default; the host's veth has IPv6 and
        /// forwarding off. A command workload in the same plan runs on the same path.
        @Test func thePathHasNoIPv6NoForwardingAndNoDefaultRoute() throws {
            let look = "for f in /proc/sys/net/ipv6/conf/*/disable_ipv6 /proc/sys/net/ipv4/conf/isoprobe*/forwarding; "
                + "do echo \"$f $(cat $f)\"; done; ip -4 route; cat /proc/net/if_inet6"
            let inside = try isoprobe(["run", "--env", "container", "--workload", "tcp-rr:count=10", "--quiet", "--show-output",
                                       "--", "sh", "-c", look], timeout: 60)
            #expect(inside.process.status == 0, "\(inside.process.stderr)")
            let lines = inside.process.stdout.split(separator: "\n").map(String.init)
            let ipv6 = lines.filter { $0.contains("/disable_ipv6 ") }
            #expect(ipv6.count >= 3 && ipv6.allSatisfy { $0.hasSuffix(" 1") }, "\(ipv6)")
            #expect(lines.contains { $0.contains("/forwarding 0") } && !lines.contains { $0.contains("/forwarding 1") })
            let routes = lines.filter { $0.contains(" dev ") }
            #expect(routes.count == 1 && routes[0].hasPrefix("198.18.") && routes[0].contains("/24 dev isoprobe"), "\(routes)")
            #expect(!lines.contains { $0.hasPrefix("default") }, "a default route in the container")
            // /proc/net/if_inet6: one line per address, 32 hex digits first.
            #expect(!lines.contains { $0.count > 32 && $0.prefix(32).allSatisfy(\.isHexDigit) }, "an IPv6 address inside")

            let host = try isoprobe(["run", "--env", "native", "--workload", "tcp-rr:count=10", "--quiet", "--show-output",
                                     "--", "sh", "-c", "for f in /proc/sys/net/ipv6/conf/isoprobe*/disable_ipv6 "
                                        + "/proc/sys/net/ipv4/conf/isoprobe*/forwarding; do echo \"$f $(cat $f)\"; done"], timeout: 60)
            let hostLines = host.process.stdout.split(separator: "\n").filter { $0.hasPrefix("/proc/sys/") }
            #expect(hostLines.contains { $0.contains("ipv6") && $0.hasSuffix(" 1") }, "\(hostLines)")
            #expect(hostLines.contains { $0.contains("forwarding") && $0.hasSuffix(" 0") }, "\(hostLines)")
        }

        /// doctor makes a veth and a bridge in a throwaway namespace and names every tool
        /// the network path needs; nothing it made is left.
        @Test func doctorChecksWhatTheNetworkPathNeeds() throws {
            let before = Set(Self.namespaces())
            let r = try isoprobe(["doctor"], json: false)
            let rows = r.process.stdout.split(separator: "\n").map(String.init)
            for name in ["veth", "bridge", "/dev/net/tun", "/dev/vhost-net", "ip", "nsenter", "ethtool", "iperf3", "sockperf",
                         "nftables bridge family"] {
                #expect(rows.contains { $0.hasPrefix(name + " ") }, "doctor has no \(name) row:\n\(r.process.stdout)")
            }
            #expect(rows.contains { $0.hasPrefix("veth ") && $0.contains("ok") }, "this kernel makes veth pairs")
            // Whether verify can bind its bridge's ports, as nft itself says.
            let nft = HostTool.find("nft").map { try? runProcess($0, ["--check", "add", "table", "bridge", "isoprobe-probe"]) }
            let takesBridgeTables = (nft??.status ?? 1) == 0
            #expect(rows.contains { $0.hasPrefix("nftables bridge family ") && $0.contains(takesBridgeTables ? "ok" : "nft") },
                    "\(rows.filter { $0.hasPrefix("nftables") })")
            #expect(Set(Self.namespaces()) == before)
            let links = try runProcess("/usr/sbin/ip", ["-o", "link"]).stdout
            #expect(!links.contains("isoprobe-d0"), "doctor's throwaway veth is left")
        }

        static func inBenchmarkRange(_ address: String) -> Bool {
            address.hasPrefix("198.18.") || address.hasPrefix("198.19.")
        }

        /// isoprobe's named network namespaces now.
        static func namespaces() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix("isoprobe-") }
        }

        /// Host interfaces holding an address of 198.18.0.0/15, as `ip -br addr` shows them.
        static func benchmarkAddresses() -> [String] {
            let out = (try? runProcess("/usr/sbin/ip", ["-br", "-4", "addr"]))?.stdout ?? ""
            return out.split(separator: "\n").map(String.init).filter { $0.contains(" 198.18.") || $0.contains(" 198.19.") }
        }

        /// The run's namespaces, interfaces and addresses are gone (`ip -all netns list`,
        /// `ip link`, `ip -br addr`).
        static func expectNothingLeft(of doc: ResultDocument) throws {
            let paths = doc.runs.compactMap { $0.network?.path }
            let spaces = Set(paths.map(\.switchNamespace))
            #expect(!spaces.isEmpty)
            let netns = try runProcess("/usr/sbin/ip", ["-all", "netns", "list"]).stdout
            let links = try runProcess("/usr/sbin/ip", ["-o", "link"]).stdout
            for space in spaces {
                #expect(!netns.contains(space), "\(space) left: \(netns)")
                let peer = space.replacingOccurrences(of: "-switch", with: "-peer")
                #expect(!netns.contains(peer), "\(peer) left")
                // isoprobe-3-switch: the plan's interfaces are isoprobe3...
                let prefix = "isoprobe" + space.split(separator: "-")[1]
                #expect(!links.split(separator: "\n").contains { $0.contains(": \(prefix)") }, "interfaces \(prefix)* left: \(links)")
            }
            for address in Set(paths.map(\.address)) {
                #expect(!benchmarkAddresses().contains { $0.contains(address + "/") }, "\(address) left")
            }
        }
    }
}
