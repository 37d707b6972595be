import Foundation
import IsoprobeCore
import Testing

/// The PostgreSQL servers the command-line history tests write: the one `make test` starts
/// for every test (scripts/test-postgres.sh run; its URL in ISOPROBE_TEST_POSTGRES), and
/// private ones a test may stop without touching the shared one (`--instance NAME`). Every
/// wait is bounded: psql and the script run under runProcess's timeout.
enum TestPostgres {
    static var serverURL: String? { ProcessInfo.processInfo.environment["ISOPROBE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 } }
    static var available: Bool { serverURL != nil }
    static let missing = "no PostgreSQL server for the tests: `make test` starts one (scripts/test-postgres.sh run ...), "
        + "which needs Debian's postgresql (make deps)"
    static let script = Repo.root + "/scripts/test-postgres.sh"

    static func requireServer(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(serverURL, "\(missing)", sourceLocation: sourceLocation)
    }

    /// A new, empty database on `server`; its URL.
    static func newDatabase(on server: String) throws -> String {
        let name = "isoprobe_cli_\(getpid())_\(UUID().uuidString.prefix(8).lowercased())"
        try psql(server, "CREATE DATABASE \(name)")
        return server.replacingOccurrences(of: #"/[^/]*$"#, with: "/\(name)", options: .regularExpression)
    }

    static func dropDatabase(_ url: String, on server: String) {
        guard let name = url.split(separator: "/").last else { return }
        _ = try? psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// psql's output (unaligned, tuples only, `|` between columns), or a failure with its words.
    @discardableResult
    static func psql(_ url: String, _ sql: String) throws -> String {
        let r = try runProcess("/usr/bin/psql", [url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], timeout: 30)
        guard r.status == 0, !r.timedOut else {
            throw IsoprobeError(.failed, "psql \(sql): \(r.timedOut ? "no answer within 30 s" : r.stderr)")
        }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `sql` until it gives `expected`, for at most `seconds`; the last answer.
    @discardableResult
    static func await(_ url: String, _ sql: String, _ expected: String, seconds: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        repeat {
            last = try psql(url, sql)
            if last == expected { return last }
            usleep(50_000)
        } while Date() < deadline
        return last
    }

    /// A loopback port nobody listens on now (the kernel's pick).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw IsoprobeError(.failed, "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw IsoprobeError(.failed, "bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Debian's server binaries, which a private instance needs.
    static var serverInstalled: Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
    }

    /// A server of one test's own, on its own loopback port, under build/postgres-private:
    /// it may be stopped and started again without disturbing anyone. `stop()` removes it;
    /// `make test`'s wrapper removes it too if the test never got there.
    final class Instance {
        let name: String
        let port: Int
        let url: String

        init(_ stem: String) throws {
            try #require(TestPostgres.serverInstalled, "PostgreSQL's server is not installed: apt-get install -y postgresql (or `make deps`)")
            name = "\(stem)-\(getpid())"
            port = try TestPostgres.freePort()
            url = try Self.script(name, port, "start")
        }

        func halt() throws { try Self.script(name, port, "halt") }
        func resume() throws { try Self.script(name, port, "resume") }
        func stop() { _ = try? Self.script(name, port, "stop") }

        @discardableResult
        static func script(_ name: String, _ port: Int, _ command: String) throws -> String {
            var environment = ProcessInfo.processInfo.environment
            environment["BUILD"] = Repo.root + "/build"
            environment["ISOPROBE_TEST_PG_PORT"] = "\(port)"
            environment["ISOPROBE_TEST_PG_WAIT"] = "20"
            let r = try runProcess(TestPostgres.script, ["--instance", name, command], environment: environment, timeout: 60)
            guard r.status == 0, !r.timedOut else {
                throw IsoprobeError(.failed, "test-postgres.sh --instance \(name) \(command): "
                                    + (r.timedOut ? "did not finish within 60 s" : "exit \(r.status): \(r.stderr)"))
            }
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// A psql session that holds a lock until released: `statements` run in it (e.g. BEGIN;
    /// LOCK TABLE ...), and the session stays open, so what they took stays taken. Released
    /// by closing its input; killed if it does not end within 10 s.
    final class Holder {
        let process = Process()
        let input = Pipe()

        init(_ url: String, _ statements: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
            process.arguments = [url, "-qAt", "-v", "ON_ERROR_STOP=1"]
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            input.fileHandleForWriting.write(Data((statements + "\n").utf8))
        }

        func release() {
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }
}
