import BPF
import Foundation
import IsoprobeCore
import Testing

/// Every suite that runs the binary is nested in this one, so they run one at a time
/// (`.serialized` applies to nested suites): two isoprobe runs at once would see each
/// other's cgroups and programs in the clean-up checks. Unit suites run in parallel.
@Suite(.serialized)
struct KernelTests {}

/// Paths in the repository, found from this file (Tests/IsoprobeTests/Support.swift).
enum Repo {
    static let root: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var binary: String { root + "/build/bin/isoprobe" }
    static var probesDirectory: String { root + "/build/probes" }
    static var workloadsDirectory: String { root + "/build/workloads" }

    /// The fixture workloads that were built.
    static var workloadNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: workloadsDirectory)) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: workloadsDirectory + "/" + $0) }.sorted()
    }
}

/// A unique path in the temporary directory (not created).
func temporaryPath(_ stem: String, _ ext: String = "") -> String {
    let dir = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    return "\(dir)/isoprobe-test-\(stem)-\(getpid())-\(UUID().uuidString.prefix(8))\(ext)"
}

// MARK: - Running processes

struct ProcessResult {
    var status: Int32
    var reason: Process.TerminationReason
    var stdout: String
    var stderr: String
    var pid: Int32
    var seconds: Double
    var timedOut: Bool

    /// stderr as lines, without empty ones.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// Runs a program with stdin from /dev/null and stdout/stderr on pipes (drained on their
/// own threads). `whileRunning` is called once it has started; it is SIGKILLed after `timeout`.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                directory: String? = nil, timeout: Double = 60,
                whileRunning: ((Process) -> Void)? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice

    let group = DispatchGroup()
    let collected = Collected()
    for (pipe, isOut) in [(out, true), (err, false)] {
        group.enter()
        DispatchQueue.global().async {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            collected.set(data, stdout: isOut)
            group.leave()
        }
    }
    let start = Date()
    try process.run()
    whileRunning?(process)
    var timedOut = false
    while process.isRunning {
        if Date().timeIntervalSince(start) > timeout {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            break
        }
        usleep(5_000)
    }
    process.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    // Close our write ends (Foundation keeps them until the Pipe goes) so the readers see EOF.
    try? out.fileHandleForWriting.close()
    try? err.fileHandleForWriting.close()
    _ = group.wait(timeout: .now() + 10)
    return ProcessResult(status: process.terminationStatus, reason: process.terminationReason,
                         stdout: collected.text(stdout: true), stderr: collected.text(stdout: false),
                         pid: process.processIdentifier, seconds: seconds, timedOut: timedOut)
}

private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func set(_ data: Data, stdout: Bool) {
        lock.lock()
        if stdout { out = data } else { err = data }
        lock.unlock()
    }
    func text(stdout: Bool) -> String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: stdout ? out : err, as: UTF8.self)
    }
}

// MARK: - Running isoprobe

struct IsoprobeRun {
    var process: ProcessResult
    /// The --json document, decoded with the schema types, when one was written.
    var document: ResultDocument?
}

/// What a workload sees when isoprobe runs it (Runner.workloadEnvironment): used for
/// isoprobe itself and for strace, so both runs of a command see the same environment.
func smallEnvironment() -> [String: String] {
    let env = ProcessInfo.processInfo.environment
    var out = ["PATH": env["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "LANG": "C.UTF-8"]
    for key in ["HOME", "TERM", "TMPDIR"] { if let v = env[key] { out[key] = v } }
    return out
}

/// Runs `isoprobe ARGS` (with `--json FILE` added before a `--` when `json` is set),
/// decodes the document, and checks that the run left no cgroup, probe or tracefs mount.
func isoprobe(_ arguments: [String], json: Bool = true, timeout: Double = 60,
              environment: [String: String]? = nil,
              whileRunning: ((Process) -> Void)? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) throws -> IsoprobeRun {
    try Requirements.requireKernelTestSetup(sourceLocation: sourceLocation)
    var args = arguments
    let jsonPath = temporaryPath("result", ".json")
    defer {
        try? FileManager.default.removeItem(atPath: jsonPath)
        try? FileManager.default.removeItem(atPath: jsonPath + ".tmp")
    }
    if json {
        let at = args.firstIndex(of: "--") ?? args.endIndex
        args.insert(contentsOf: ["--json", jsonPath], at: at)
    }
    let before = Leftovers.Snapshot.take()
    let result = try runProcess(Repo.binary, args, environment: environment, timeout: timeout,
                                whileRunning: whileRunning)
    #expect(!result.timedOut, "isoprobe \(args.joined(separator: " ")) did not finish within \(timeout) s",
            sourceLocation: sourceLocation)

    var document: ResultDocument?
    if json, let data = FileManager.default.contents(atPath: jsonPath) {
        do {
            document = try ResultDocument.decoder().decode(ResultDocument.self, from: data)
        } catch {
            Issue.record("--json output does not decode as ResultDocument: \(error)\n\(String(decoding: data.prefix(2000), as: UTF8.self))",
                         sourceLocation: sourceLocation)
        }
    }
    let targets = document?.runs.map(\.target.cgroupPath) ?? []
    try Leftovers.check(afterProcess: result.pid, targets: targets, since: before, sourceLocation: sourceLocation)
    return IsoprobeRun(process: result, document: document)
}

// MARK: - Clean-up checks

/// What a run must not leave behind: its cgroup2 directory, its BPF programs, a tracefs
/// mount it made.
enum Leftovers {
    struct Snapshot {
        var time: Date
        var tracefsMounted: Bool
        var cgroups: Set<String>

        static func take() -> Snapshot {
            Snapshot(time: Date(), tracefsMounted: Leftovers.tracefsMounted(), cgroups: Set(Leftovers.isoprobeCgroups()))
        }
    }

    /// Names of the `isoprobe-*` directories in the cgroup2 root.
    static func isoprobeCgroups() -> [String] {
        guard let mount = cgroup2Mount(),
              let entries = try? FileManager.default.contentsOfDirectory(atPath: mount) else { return [] }
        return entries.filter { $0.hasPrefix("isoprobe-") }
    }

    static func isIsoprobeProcess(_ pid: Int32) -> Bool {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) == "isoprobe"
    }

    /// Program names of every probe family, from the compiled objects (opened, not loaded),
    /// plus the ones the test plan names, so an empty object list cannot empty the check.
    static let programNames: Set<String> = {
        var names: Set<String> = ["sys_enter_btf", "sys_exit_btf", "sched_switch_btf", "page_fault_user_btf"]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Repo.probesDirectory)) ?? []
        // empty.bpf.o is the overhead benchmark's floor; runs never load it.
        for file in files where file.hasSuffix(".bpf.o") && file != "empty.bpf.o" {
            if let object = try? BPFObject(path: Repo.probesDirectory + "/" + file) {
                names.formUnion(object.programs.map(\.name))
                object.close()
            }
        }
        return names
    }()

    /// The kernel keeps 15 characters of a program name (BPF_OBJ_NAME_LEN - 1); bpftool
    /// shows the full name only when it finds it in the program's BTF.
    static func isOurs(_ loadedName: String) -> Bool {
        let key = loadedName.prefix(15)
        return programNames.contains { $0.prefix(15) == key }
    }

    /// The cgroup2 mount point, from /proc/self/mountinfo (parsed here, not by the product).
    static func cgroup2Mount() -> String? {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count >= 5 { return String(fields[4]).replacingOccurrences(of: "\\040", with: " ") }
        }
        return nil
    }

    static func tracefsMounted() -> Bool {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").contains { $0.contains(" - tracefs ") }
    }

    /// `isoprobe-*` directories in the cgroup2 root made by process `pid` (isoprobe names
    /// them `isoprobe-<env>-<pid>-<n>`) or named as a run's target.
    static func cgroups(of pid: Int32, targets: [String]) -> [String] {
        guard let mount = cgroup2Mount() else { return [] }
        let targetNames = Set(targets.map { ($0 as NSString).lastPathComponent })
        return isoprobeCgroups().filter { $0.contains("-\(pid)-") || targetNames.contains($0) }
            .map { mount + "/" + $0 }
    }

    /// `isoprobe-*` directories that appeared since `before`, except those of another
    /// isoprobe process still running (the pid in the name).
    static func newCgroups(since before: Snapshot) -> [String] {
        guard let mount = cgroup2Mount() else { return [] }
        return isoprobeCgroups().filter { name in
            guard !before.cgroups.contains(name) else { return false }
            let parts = name.split(separator: "-")
            if parts.count >= 2, let owner = Int32(parts[parts.count - 2]), isIsoprobeProcess(owner) { return false }
            return true
        }.map { mount + "/" + $0 }
    }

    /// Loaded programs with one of our names, loaded at or after `since` (bpftool gives
    /// whole seconds). bpftool here does not report owning pids, so the load time is what
    /// tells this run's programs from older ones.
    static func programs(loadedSince since: Date) throws -> [String] {
        let bpftool = try Requirements.requireBpftool()
        let result = try runProcess(bpftool, ["-j", "prog", "show"], timeout: 30)
        guard result.status == 0,
              let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] else {
            Issue.record("bpftool -j prog show failed (status \(result.status)): \(result.stderr)")
            return []
        }
        let cutoff = since.timeIntervalSince1970.rounded(.down) - 1
        return list.compactMap { prog -> String? in
            guard let name = prog["name"] as? String, isOurs(name) else { return nil }
            let loadedAt = (prog["loaded_at"] as? NSNumber)?.doubleValue ?? .infinity
            guard loadedAt >= cutoff else { return nil }
            return "\(prog["id"] ?? "?"): \(name) (loaded_at \(Int(loadedAt)))"
        }
    }

    /// Other isoprobe processes alive now (someone else's run on this machine). Their
    /// programs and tracefs mount cannot be told from ours; their cgroups can (by pid).
    static func otherIsoprobes(excluding pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { $0 != pid && isIsoprobeProcess($0) }
    }

    /// Checks, after isoprobe (pid) has exited, that nothing of its run is left. Programs
    /// may take a moment to be freed once their last reference goes: poll for up to 3 s.
    static func check(afterProcess pid: Int32, targets: [String], since before: Snapshot,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let mount = try #require(cgroup2Mount(), "no cgroup2 mount in /proc/self/mountinfo",
                                 sourceLocation: sourceLocation)
        for target in targets {
            #expect(target.hasPrefix(mount + "/"), "run target \(target) is not below the cgroup2 mount \(mount)",
                    sourceLocation: sourceLocation)
        }
        let leftCgroups = Array(Set(cgroups(of: pid, targets: targets) + newCgroups(since: before))).sorted()
        #expect(leftCgroups.isEmpty, "cgroups left behind by isoprobe (pid \(pid)): \(leftCgroups)",
                sourceLocation: sourceLocation)
        for path in leftCgroups { rmdir(path) }

        var leftPrograms = try programs(loadedSince: before.time)
        var leftTracefs = !before.tracefsMounted && tracefsMounted()
        let deadline = Date().addingTimeInterval(3)
        while (!leftPrograms.isEmpty || leftTracefs) && Date() < deadline {
            usleep(50_000)
            leftPrograms = try programs(loadedSince: before.time)
            leftTracefs = !before.tracefsMounted && tracefsMounted()
        }
        let others = otherIsoprobes(excluding: pid)
        if !others.isEmpty && (!leftPrograms.isEmpty || leftTracefs) {
            // Not ours to judge: in CI nothing else runs isoprobe, so this does not hide a leak there.
            print("note: isoprobe pids \(others) are running too; not checking programs/tracefs left by pid \(pid): \(leftPrograms)")
            return
        }
        #expect(leftPrograms.isEmpty, "BPF programs still loaded after isoprobe (pid \(pid)) exited: \(leftPrograms)",
                sourceLocation: sourceLocation)
        #expect(!leftTracefs, "isoprobe mounted tracefs for the run and left it mounted",
                sourceLocation: sourceLocation)
    }
}
