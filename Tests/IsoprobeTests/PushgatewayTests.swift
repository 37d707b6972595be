import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// `export --push` against Debian's prometheus-pushgateway on loopback: what the gateway
    /// then serves is what the session measured.
    @Suite(.enabled(if: (Requirements.rootAndBPF && Requirements.pushgateway != nil && Requirements.python(with: "prometheus_client"))
                        || Requirements.inCI,
                    "needs root, kernel BTF, prometheus-pushgateway and python3-prometheus-client"))
    struct PushgatewayTests {
        let dir = temporaryPath("pushgateway")

        init() throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }

        /// A Pushgateway of the test's own on a free loopback port, keeping nothing on disk;
        /// `stop()` ends it (SIGTERM, then SIGKILL after 10 s).
        final class Gateway {
            let process = Process()
            let port: Int
            var url: String { "http://127.0.0.1:\(port)" }

            init(_ binary: String, log: String) throws {
                port = try TestPostgres.freePort()
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = ["--web.listen-address=127.0.0.1:\(port)"]
                FileManager.default.createFile(atPath: log, contents: nil)
                let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
                process.standardOutput = out
                process.standardError = out
                process.standardInput = FileHandle.nullDevice
                try process.run()
                let deadline = Date().addingTimeInterval(15)
                while !Self.listening(port) {
                    guard Date() < deadline, process.isRunning else {
                        stop()
                        throw IsoprobeError(.failed, "prometheus-pushgateway did not listen on 127.0.0.1:\(port) within 15 s: "
                                            + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
                    }
                    usleep(20_000)
                }
            }

            func stop() {
                guard process.isRunning else { return }
                process.terminate()
                let deadline = Date().addingTimeInterval(10)
                while process.isRunning && Date() < deadline { usleep(10_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
            }

            static func listening(_ port: Int) -> Bool {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { return false }
                defer { close(fd) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                address.sin_port = UInt16(port).bigEndian
                return withUnsafePointer(to: &address) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
                }
            }
        }

        /// A session pushed to the gateway is served back by it, under job=isoprobe and the
        /// session's host label (base64 in the path, as it holds a slash), with the figures the session's JSON holds; a push the gateway
        /// refuses, or one nobody answers, is one line and exit 1.
        @Test func aPushedSessionIsServedBackByTheGateway() throws {
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Requirements.requireKernelTestSetup()
            let binary = try Requirements.requirePushgateway()
            try Requirements.requirePython("prometheus_client", package: "python3-prometheus-client")
            let gateway = try Gateway(binary, log: dir + "/gateway.log")
            defer { gateway.stop() }

            let db = dir + "/history.sqlite"
            // A label with a slash travels base64-encoded in the push's path.
            let history = ["--db", db, "--host-label", "rack-1/gw"]
            let run = try isoprobe(["run", "--env", "native", "--workload", "getpid:count=20000", "--reps", "2", "--warmups", "0",
                                    "--quiet"] + history, json: false)
            #expect(run.process.status == 0, "\(run.process.stderr)")
            let push = try runProcess(Repo.binary, ["export", "latest", "--push", gateway.url] + history, timeout: 30)
            #expect(push.status == 0, "\(push.stderr)")
            #expect(push.stdout.hasPrefix("pushed ") && push.stdout.contains(" to \(gateway.url)/metrics/job/isoprobe/instance@base64/cmFjay0xL2d3"),
                    "\(push.stdout)")
            let json = try runProcess(Repo.binary, ["export", "latest", "--format", "json"] + history, timeout: 30)
            let document = try ResultDocument.decoder().decode(ResultDocument.self, from: Data(json.stdout.utf8))
            #expect(document.runs.count == 2)

            // What the gateway serves, read with the reference parser: per repetition, wall
            // seconds and getpid calls of this group.
            let served = try runProcess("/usr/bin/python3", ["-c", """
                import sys, urllib.request
                from prometheus_client.parser import text_string_to_metric_families
                text = urllib.request.urlopen(sys.argv[1] + '/metrics', timeout=10).read().decode()
                for f in text_string_to_metric_families(text):
                    for s in f.samples:
                        l = s.labels
                        if l.get('job') != 'isoprobe' or l.get('instance') != 'rack-1/gw': continue
                        if s.name == 'isoprobe_run_wall_seconds':
                            print('wall', l['repetition'], repr(s.value))
                        if s.name == 'isoprobe_syscalls_total' and l['syscall'] == 'getpid':
                            print('getpid', l['repetition'], int(s.value))
                """, gateway.url], timeout: 30)
            #expect(served.status == 0, "\(served.stderr)")
            var expected: [String] = []
            for r in document.runs {
                expected.append("wall \(r.repetition) \(Double(r.wallNs) / 1e9)")
                expected.append("getpid \(r.repetition) \(try #require(r.syscall("getpid")).count)")
            }
            #expect(served.stdout.split(separator: "\n").map(String.init).sorted() == expected.sorted(), "\(served.stdout)")
            #expect(document.runs.allSatisfy { $0.syscall("getpid")?.count == 20_000 })

            // A grouping key with a label but no value: the gateway refuses it, and says why.
            let refused = try runProcess(Repo.binary, ["export", "latest", "--push", gateway.url + "/metrics/job/isoprobe/instance"]
                                         + history, timeout: 30)
            #expect(refused.status == 1 && refused.stderrLines.count == 1, "exit \(refused.status): \(refused.stderr)")
            #expect(refused.stderr.contains("refused the metrics: HTTP 400: odd number of components"), "\(refused.stderr)")
            // Nobody there.
            let away = "http://127.0.0.1:\(try TestPostgres.freePort())"
            // doctor --push says whether the gateway answers, and does not require it.
            for (url, status) in [(gateway.url, "ok"), (away, "missing")] {
                let doctor = try runProcess(Repo.binary, ["doctor", "--push", url, "--db", db], timeout: 60)
                let row = doctor.stdout.split(separator: "\n").first { $0.hasPrefix("pushgateway ") }
                #expect(row?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first == Substring(status),
                        "\(url): \(row ?? "no pushgateway row")")
            }
            let unanswered = try runProcess(Repo.binary, ["export", "latest", "--push", away] + history, timeout: 30)
            #expect(unanswered.status == 1 && unanswered.stderrLines.count == 1, "exit \(unanswered.status): \(unanswered.stderr)")
            #expect(unanswered.stderr.contains("cannot push metrics to \(away)/metrics/job/isoprobe/instance@base64/cmFjay0xL2d3"), "\(unanswered.stderr)")
        }
    }
}
