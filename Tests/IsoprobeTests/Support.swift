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
                directory: String? = nil, input: String? = nil, timeout: Double = 60,
                whileRunning: ((Process) -> Void)? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input.flatMap(FileHandle.init(forReadingAtPath:)) ?? FileHandle.nullDevice

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
    if timedOut {
        // Foundation learns of the exit from a socket the child inherited: a descendant that
        // kept it (a daemon the child started) hides the exit for as long as it lives. Give
        // up on it rather than wait for ever.
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            try? out.fileHandleForWriting.close()
            try? err.fileHandleForWriting.close()
            return ProcessResult(status: -1, reason: .uncaughtSignal, stdout: "",
                                 stderr: "killed after \(timeout) s, and its end never seen (a descendant holds its descriptors)",
                                 pid: process.processIdentifier, seconds: Date().timeIntervalSince(start), timedOut: true)
        }
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
    // Runs stay out of the machine's history database unless a test names one.
    if args.first == "run" && !args.contains("--db") && !args.contains("--no-history") {
        args.insert("--no-history", at: 1)
    }
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
    // A guest's cgroup is in the guest, gone with it.
    let targets = document?.runs.filter { $0.environment != "vm" }.map(\.target.cgroupPath) ?? []
    try Leftovers.check(afterProcess: result.pid, targets: targets, since: before, sourceLocation: sourceLocation)
    return IsoprobeRun(process: result, document: document)
}

// MARK: - Clean-up checks

/// What a run must not leave behind: its cgroup directories (cgroup2 and, on hybrid hosts,
/// every v1 hierarchy), its BPF programs, a tracefs mount it made, and for containers the
/// runtime's state directory, the OCI bundle, mounts of the bundle and runtime processes.
enum Leftovers {
    struct Snapshot {
        var time: Date
        var tracefsMounted: Bool
        /// Full paths of the `isoprobe-*` directories at the top of every cgroup hierarchy.
        var cgroups: Set<String>
        var runtimeStates: Set<String>
        var bundles: Set<String>
        var bundleMounts: Set<String>
        var scratches: Set<String>

        static func take() -> Snapshot {
            Snapshot(time: Date(), tracefsMounted: Leftovers.tracefsMounted(), cgroups: Set(Leftovers.isoprobeCgroups()),
                     runtimeStates: Set(Leftovers.runtimeStates()), bundles: Set(Leftovers.bundles()),
                     bundleMounts: Set(Leftovers.bundleMounts()), scratches: Set(Leftovers.scratches()))
        }
    }

    /// Where runs make their workloads' scratch directories: $ISOPROBE_SCRATCH, else /var/tmp.
    static var scratchBase: String {
        let v = ProcessInfo.processInfo.environment["ISOPROBE_SCRATCH"] ?? ""
        return v.isEmpty ? "/var/tmp" : v
    }

    /// Scratch directories, `<base>/isoprobe-scratch-XXXXXX`, and block devices' backing
    /// folders, `<base>/isoprobe-block-XXXXXX`.
    static func scratches() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: scratchBase)) ?? [])
            .filter { $0.hasPrefix("isoprobe-scratch-") || $0.hasPrefix("isoprobe-block-") }
            .map { scratchBase + "/" + $0 }.sorted()
    }

    /// Loop devices attached to a block workload's backing file (what `losetup -a` lists).
    static func blockLoopDevices() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []).filter { $0.hasPrefix("loop") }
            .compactMap { name in
                let backing = (try? String(contentsOfFile: "/sys/block/\(name)/loop/backing_file", encoding: .utf8)) ?? ""
                return backing.contains("/isoprobe-block-") ? "/dev/\(name) over \(backing.trimmingCharacters(in: .whitespacesAndNewlines))" : nil
            }
    }

    /// `isoprobe-*` directories at the top of every cgroup hierarchy (cgroup2, and the v1
    /// controllers and named hierarchies such as name=systemd on hybrid hosts), as full paths.
    static func isoprobeCgroups() -> [String] {
        cgroupMounts().flatMap { mount -> [String] in
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: mount)) ?? []
            return entries.filter { $0.hasPrefix("isoprobe-") }.map { mount + "/" + $0 }
        }.sorted()
    }

    /// The isoprobe pid in a name isoprobe made (`isoprobe-<env>-<pid>-<n>`).
    static func owner(of path: String) -> Int32? {
        let parts = (path as NSString).lastPathComponent.split(separator: "-")
        return parts.count >= 2 ? Int32(parts[parts.count - 2]) : nil
    }

    /// One line of /proc/self/mountinfo: mount point and filesystem type.
    struct MountEntry {
        var mountPoint: String
        var fstype: String
    }

    static func mounts() -> [MountEntry] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { return nil }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5, let type = halves[1].split(separator: " ").first else { return nil }
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
                .replacingOccurrences(of: "\\011", with: "\t").replacingOccurrences(of: "\\012", with: "\n")
                .replacingOccurrences(of: "\\134", with: "\\")
            return MountEntry(mountPoint: point, fstype: String(type))
        }
    }

    /// Mount points of every cgroup (v1) and cgroup2 hierarchy.
    static func cgroupMounts() -> [String] {
        var seen: [String] = []
        for m in mounts() where (m.fstype == "cgroup" || m.fstype == "cgroup2") && !seen.contains(m.mountPoint) {
            seen.append(m.mountPoint)
        }
        return seen
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

    /// `isoprobe-*` directories in any cgroup hierarchy made by process `pid` (isoprobe names
    /// them `isoprobe-<env>-<pid>-<n>`) or named as a run's target. cgroup2 ones come first.
    static func cgroups(of pid: Int32, targets: [String]) -> [String] {
        let targetNames = Set(targets.map { ($0 as NSString).lastPathComponent })
        let unified = cgroup2Mount().map { $0 + "/" } ?? "\u{0}"
        return isoprobeCgroups().filter { owner(of: $0) == pid || targetNames.contains(($0 as NSString).lastPathComponent) }
            .sorted { ($0.hasPrefix(unified) ? 0 : 1, $0) < ($1.hasPrefix(unified) ? 0 : 1, $1) }
    }

    /// `isoprobe-*` directories that appeared since `before`, except those of another
    /// isoprobe process still running (the pid in the name).
    static func newCgroups(since before: Snapshot) -> [String] {
        isoprobeCgroups().filter { path in
            guard !before.cgroups.contains(path) else { return false }
            if let owner = owner(of: path), isIsoprobeProcess(owner) { return false }
            return true
        }
    }

    // MARK: Containers

    /// Where isoprobe keeps OCI runtime state (`<runtime> --root /run/isoprobe/<runtime>`).
    static let runtimeStateBase = "/run/isoprobe"

    /// Container state directories, `/run/isoprobe/<runtime>/<container id>`.
    static func runtimeStates() -> [String] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: runtimeStateBase)) ?? []).flatMap { runtime -> [String] in
            let dir = runtimeStateBase + "/" + runtime
            return ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).map { dir + "/" + $0 }
        }.sorted()
    }

    /// The directories a bundle can be made in: isoprobe uses $TMPDIR, else /tmp.
    static var bundleParents: [String] {
        var dirs = ["/tmp"]
        if let tmp = ProcessInfo.processInfo.environment["TMPDIR"], !tmp.isEmpty {
            let t = tmp.hasSuffix("/") && tmp.count > 1 ? String(tmp.dropLast()) : tmp
            if !dirs.contains(t) { dirs.append(t) }
        }
        return dirs
    }

    /// OCI bundle directories, `$TMPDIR/isoprobe-bundle-XXXXXX`.
    static func bundles() -> [String] {
        bundleParents.flatMap { parent -> [String] in
            ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [])
                .filter { $0.hasPrefix("isoprobe-bundle-") }.map { parent + "/" + $0 }
        }.sorted()
    }

    /// Mount points in our mount namespace that lie in a bundle (a rootfs, a bind).
    static func bundleMounts() -> [String] {
        mounts().map(\.mountPoint).filter { $0.contains("isoprobe-bundle") }
    }

    /// Processes whose command line names one of isoprobe `pid`'s containers
    /// (`runc run ... isoprobe-ctr-<pid>-<n>`, the start hook's shell).
    static func containerProcesses(of pid: Int32) -> [String] {
        let needle = Data("isoprobe-ctr-\(pid)-".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { $0 != getpid() }.compactMap { p -> String? in
            guard let data = FileManager.default.contents(atPath: "/proc/\(p)/cmdline"),
                  data.range(of: needle) != nil else { return nil }
            let cmdline = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return "\(p): \(cmdline.trimmingCharacters(in: .whitespaces))"
        }
    }

    /// Whether a bundle belongs to isoprobe `pid`: its config.json names one of that
    /// process's container cgroups; nil when it has no readable config.
    static func bundle(_ path: String, isOf pid: Int32) -> Bool? {
        guard let data = FileManager.default.contents(atPath: path + "/config.json") else { return nil }
        return data.range(of: Data("isoprobe-ctr-\(pid)-".utf8)) != nil
    }

    /// What the container environment of isoprobe `pid` left: cgroups of its containers in
    /// any hierarchy are checked by `cgroups(of:)`; here runtime state, bundles, bundle
    /// mounts and runtime processes. `othersRunning`: another isoprobe is alive, so new
    /// things that name no pid cannot be blamed on this one.
    static func containerLeftovers(of pid: Int32, since before: Snapshot, othersRunning: Bool)
        -> (leaks: [String], unattributed: [String]) {
        var leaks: [String] = [], unattributed: [String] = []
        for state in runtimeStates() where !before.runtimeStates.contains(state) {
            if owner(of: state) == pid {
                leaks.append("runtime state directory \(state)")
            } else if let o = owner(of: state), isIsoprobeProcess(o) {
                continue
            } else if othersRunning {
                unattributed.append("runtime state directory \(state)")
            } else {
                leaks.append("runtime state directory \(state)")
            }
        }
        for bundle in bundles() where !before.bundles.contains(bundle) {
            switch self.bundle(bundle, isOf: pid) {
            case true?: leaks.append("bundle directory \(bundle)")
            case false?: if othersRunning { continue } else { leaks.append("bundle directory \(bundle)") }
            case nil: if othersRunning { unattributed.append("bundle \(bundle)") } else { leaks.append("bundle directory \(bundle)") }
            }
        }
        let allBundles = bundles()
        for point in bundleMounts() where !before.bundleMounts.contains(point) {
            let inBundle = allBundles.first { point == $0 || point.hasPrefix($0 + "/") }
            if inBundle.flatMap({ bundle($0, isOf: pid) }) == true || !othersRunning {
                leaks.append("mount \(point)")
            } else {
                unattributed.append("mount \(point)")
            }
        }
        leaks += containerProcesses(of: pid).map { "process \($0)" }
        return (leaks, unattributed)
    }

    /// Removes what `containerLeftovers` found, so one leak does not fail the next test:
    /// processes killed by pid, state directories removed, bundles removed unless something
    /// is mounted in them (removing through a bind of the host's /usr would delete host files).
    static func tidyContainerLeftovers(of pid: Int32, since before: Snapshot, othersRunning: Bool) {
        for line in containerProcesses(of: pid) {
            if let p = Int32(line.prefix { $0 != ":" }) { kill(p, SIGKILL) }
        }
        let fm = FileManager.default
        for state in runtimeStates() where !before.runtimeStates.contains(state) && owner(of: state) == pid {
            try? fm.removeItem(atPath: state)
        }
        let mounted = bundleMounts()
        for bundle in bundles() where !before.bundles.contains(bundle) {
            guard self.bundle(bundle, isOf: pid) ?? !othersRunning else { continue }
            if !mounted.contains(where: { $0 == bundle || $0.hasPrefix(bundle + "/") }) { try? fm.removeItem(atPath: bundle) }
        }
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

        let othersRunning = !otherIsoprobes(excluding: pid).isEmpty
        let containers = containerLeftovers(of: pid, since: before, othersRunning: othersRunning)
        #expect(containers.leaks.isEmpty, "container pieces left behind by isoprobe (pid \(pid)): \(containers.leaks)",
                sourceLocation: sourceLocation)
        if !containers.unattributed.isEmpty {
            print("note: other isoprobe processes are running; not blaming pid \(pid) for \(containers.unattributed)")
        }
        if !containers.leaks.isEmpty { tidyContainerLeftovers(of: pid, since: before, othersRunning: othersRunning) }
        let newScratches = scratches().filter { !before.scratches.contains($0) }
        if othersRunning {
            if !newScratches.isEmpty { print("note: other isoprobe processes are running; not blaming pid \(pid) for \(newScratches)") }
        } else {
            #expect(newScratches.isEmpty, "scratch directories left behind by isoprobe (pid \(pid)): \(newScratches)",
                    sourceLocation: sourceLocation)
            for path in newScratches { try? FileManager.default.removeItem(atPath: path) }
        }
        let loops = blockLoopDevices()
        #expect(loops.isEmpty, "loop devices left attached by isoprobe (pid \(pid)): \(loops)", sourceLocation: sourceLocation)
        // Processes first (they keep their cgroups busy), then the directories, deepest first.
        for path in leftCgroups.sorted(by: { $0.count > $1.count }) { rmdir(path) }

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

/// Runs `body` while a fixture workload runs outside any isoprobe cgroup (noise the probes
/// must not count); the noise is killed afterwards. Returns whether it was still running
/// when `body` finished, so a test can tell that the two overlapped.
func whileOutsideNoise<T>(_ fixture: String, _ arguments: [String], _ body: () throws -> T) throws -> (result: T, overlapped: Bool) {
    try Requirements.requireBuilt()
    let noise = Process()
    noise.executableURL = URL(fileURLWithPath: Repo.workloadsDirectory + "/" + fixture)
    noise.arguments = arguments
    noise.standardOutput = FileHandle.nullDevice
    try noise.run()
    defer {
        if noise.isRunning { kill(noise.processIdentifier, SIGKILL) }
        noise.waitUntilExit()
    }
    usleep(50_000)
    let result = try body()
    return (result, noise.isRunning)
}
