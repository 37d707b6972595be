import Foundation
@testable import HostPaths
import IsoprobeCore
import Testing

/// The host's side of `host-paths` without a guest: the judgement of each path's figures,
/// the bounds on what the guest writes, and the document.
struct HostPathsTests {
    static func proven(_ path: HostPath) -> HostPathFigures {
        var f = HostPathFigures()
        f.leftovers = []
        switch path {
        case .cgroup2Native, .runc, .crun:
            f.cgroupLayout = "unified"
            f.exitKind = "exited"
            f.ops = UInt64(HostPath.getpidCalls)
            f.getpidCalls = UInt64(HostPath.getpidCalls)
            f.runtime = path.runtime
            f.hybridWorkaround = path.runtime.map { _ in false }
        case .runcOOMKill, .crunOOMKill:
            f.runtime = path.runtime
            f.exitKind = "oom_killed"
            f.oomKills = 1
            f.hybridWorkaround = false
        case .runcPidsLimit, .crunPidsLimit:
            f.runtime = path.runtime
            f.forked = 31
            f.refused = 33
            f.cloneEagain = 33
            f.pidsLimitHits = 33
            f.hybridWorkaround = false
        case .kvmCalibration:
            f.verdict = "emulated-host"
            f.nsPerInstruction = 1.1
            f.emulator = "QEMU's TCG"
        case .kvmExits:
            f.portWrites = HostPath.portWrites
            f.kvmEntries = 209
            f.reasons = [.init(isa: "svm", name: "IOIO", count: 205, exitToEntryNs: 20_000_000)]
        case .kvmOverride:
            f.refusalStatus = 3
            f.refusalSeconds = 2.6
            f.accelerator = "kvm"
            f.exitKind = "exited"
            f.getpidCalls = UInt64(HostPath.overrideGetpidCalls)
            f.kvmExits = 4000
            f.reasons = [.init(isa: "svm", name: "NPF", count: 3000, exitToEntryNs: 90_000_000)]
        }
        return f
    }

    @Test(arguments: HostPath.allCases)
    func provenFiguresProve(path: HostPath) {
        let problems = HostPathJudge.problems(HostPathReport(path: path, seconds: 1, figures: Self.proven(path)))
        #expect(problems.isEmpty, "\(problems)")
    }

    /// Each rule can fail: one figure off, and the path is not proven, with the reason.
    @Test func oneFigureOffIsAProblem() {
        func problems(_ path: HostPath, _ edit: (inout HostPathFigures) -> Void) -> [String] {
            var f = Self.proven(path)
            edit(&f)
            return HostPathJudge.problems(HostPathReport(path: path, seconds: 1, figures: f))
        }
        #expect(problems(.cgroup2Native) { $0.getpidCalls = 99_999 }.contains { $0.contains("counted 99999 getpid") })
        #expect(problems(.cgroup2Native) { $0.getpidCalls = 100_011 }.count == 1)
        #expect(problems(.cgroup2Native) { $0.cgroupLayout = "hybrid" }.contains { $0.contains("not pure cgroup2") })
        #expect(problems(.crun) { $0.hybridWorkaround = true }.contains { $0.contains("hybrid workaround") })
        #expect(problems(.crun) { $0.runtime = "runc" }.contains { $0.contains("not crun") })
        #expect(problems(.runcOOMKill) { $0.exitKind = "signaled" }.contains { $0.contains("not oom_killed") })
        #expect(problems(.crunPidsLimit) { $0.cloneEagain = 32 }.contains { $0.contains("clone EAGAIN") })
        #expect(problems(.crunPidsLimit) { $0.forked = 32; $0.refused = 32 }.contains { $0.contains("forks succeeded") })
        #expect(problems(.kvmCalibration) { $0.verdict = "usable" }.contains { $0.contains("emulated by") })
        #expect(problems(.kvmCalibration) { $0.nsPerInstruction = nil }.contains { $0.contains("measured nothing") })
        #expect(problems(.kvmExits) { $0.reasons = [.init(isa: "svm", name: "IOIO", count: 99, exitToEntryNs: 1)] }
            .contains { $0.contains("99 io exits") })
        #expect(problems(.kvmExits) { $0.reasons! += [.init(isa: "svm", name: "SVM_1234", count: 1, exitToEntryNs: 1)] }
            .contains { $0.contains("without names") })
        #expect(problems(.kvmExits) { $0.reasons = [.init(isa: "svm", name: "IOIO", count: 205, exitToEntryNs: 0)] }
            .contains { $0.contains("exit-to-entry") })
        #expect(problems(.kvmOverride) { $0.refusalStatus = 0 }.contains { $0.contains("not 3") })
        #expect(problems(.kvmOverride) { $0.accelerator = "tcg" }.contains { $0.contains("not kvm") })
        #expect(problems(.kvmOverride) { $0.reasons = []; $0.kvmExits = 0 }.contains { $0.contains("no KVM exits") })
        #expect(problems(.runc) { $0.leftovers = ["/sys/fs/cgroup/isoprobe-ctr-1-1"] }.contains { $0.contains("left behind") })
        let failed = HostPathJudge.problems(HostPathReport(path: .runc, seconds: 1, figures: HostPathFigures(), error: "runc not found"))
        #expect(failed == ["runc not found"])
    }

    @Test func missingReportIsNotProven() {
        let outcome = HostPathsDocument.Outcome(path: .kvmExits, report: nil)
        #expect(!outcome.proven && outcome.problems.first?.contains("no report") == true)
    }

    /// What the guest writes is cut into lines within bounds.
    @Test func boundedLines() {
        var lines = BoundedLines(maxLine: 8, maxLines: 2)
        #expect(lines.feed(Data("abc\nde".utf8)) == [Data("abc".utf8)])
        #expect(lines.feed(Data("f\n".utf8)) == [Data("def".utf8)])
        #expect(lines.feed(Data("more\n".utf8)).isEmpty && lines.ignoredBytes == 5)
        var long = BoundedLines(maxLine: 4, maxLines: 10)
        #expect(long.feed(Data("123456789\nok\n".utf8)) == [Data("ok".utf8)])
        #expect(long.overlong == 1)
    }

    @Test func reportLinesAreBoundedAndTyped() throws {
        let report = HostPathReport(path: .runc, seconds: 2, figures: Self.proven(.runc))
        let line = try JSONEncoder().encode(GuestHostLine(report: report))
        #expect(try GuestHost.decode(line).get().report == report)
        let deep = Data((String(repeating: "[", count: 50) + String(repeating: "]", count: 50)).utf8)
        guard case .failure(let why) = GuestHost.decode(deep) else { Issue.record("a 50-deep line decoded"); return }
        #expect(why.reason.contains("nested"))
        guard case .failure(let garbage) = GuestHost.decode(Data("{\"report\":{\"path\":\"nope\u{1b}[2J\"}}".utf8)) else {
            Issue.record("an unknown path decoded"); return
        }
        #expect(!garbage.reason.contains("\u{1b}"), "control characters reach the message")
    }

    /// The document reads back, and says whether all paths were proven.
    @Test func documentRoundTrip() throws {
        let outcomes = [HostPath.runc, .kvmExits].map { HostPathsDocument.Outcome(path: $0, report: HostPathReport(path: $0, seconds: 1, figures: Self.proven($0))) }
        let doc = HostPathsDocument(isoprobeVersion: "0", hostKernel: "6.18",
                                    guestHost: .init(kernel: "6.12", accelerator: "tcg", vcpus: 1, memoryMiB: 2560, bootSeconds: 7,
                                                     totalSeconds: 50, facts: nil, logDirectory: "/var/log/isoprobe/x"),
                                    paths: outcomes)
        let data = try HostPathsDocument.encoder().encode(doc)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"all_proven\" : true") && text.contains("\"exit_to_entry_ns\""), "\(text)")
        let back = try HostPathsDocument.decoder().decode(HostPathsDocument.self, from: data)
        #expect(back.paths.map(\.path) == [.runc, .kvmExits] && back.allProven)
        let rendered = HostPathsText.render(back)
        #expect(rendered.contains("proven  kvm-exits") && rendered.contains("svm IOIO x205"), "\(rendered)")
        // A guest's escape sequence never reaches the terminal.
        var hostile = back
        hostile.paths[0].problems = ["\u{1b}]0;owned\u{07}\u{1b}[2J"]
        #expect(!HostPathsText.render(hostile).unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 })
    }

    /// Every figure survives the document's snake case both ways (a key that does not comes
    /// back nil, silently: `portIO` would be written `port_io` and looked for as `portIo`).
    /// Every figure filled in, through JSON: each key its Swift name, a value of its type.
    static func everyFigure() throws -> HostPathFigures {
        var object: [String: Any] = [:]
        for child in Mirror(reflecting: HostPathFigures()).children {
            guard let name = child.label else { continue }
            switch name {
            case "leftovers": object[name] = ["x"]
            case "reasons": object[name] = [["isa": "svm", "name": "IOIO", "count": 1, "exitToEntryNs": 2]]
            case "hybridWorkaround": object[name] = true
            case "verdict": object[name] = "emulated-host"
            case "nsPerInstruction", "refusalSeconds", "bootSeconds": object[name] = 1.5
            case "getpidCalls", "ops", "oomKills", "peakRssBytes", "cloneEagain", "pidsLimitHits", "kvmExits", "kvmEntries",
                 "kvmPortIo", "forked", "refused", "portWrites", "refusalStatus": object[name] = 7
            default: object[name] = "s"
            }
        }
        return try JSONDecoder().decode(HostPathFigures.self, from: JSONSerialization.data(withJSONObject: object))
    }

    static func document(_ figures: HostPathFigures) -> HostPathsDocument {
        let outcome = HostPathsDocument.Outcome(path: .kvmExits, report: HostPathReport(path: .kvmExits, seconds: 1, figures: figures))
        let facts = GuestHostFacts(kernelRelease: "6.12", cgroupLayout: "unified", cgroupControllers: "cpu memory pids",
                                   cpuFlags: ["svm", "npt"], kvmModules: ["kvm", "kvm_amd"], kvmDevice: true,
                                   hypervisorSignature: "TCGTCGTCGTCG", clocksource: "tsc")
        return HostPathsDocument(isoprobeVersion: "0", hostKernel: "k",
                                 guestHost: .init(kernel: "g", accelerator: "tcg", vcpus: 1, memoryMiB: 2560, bootSeconds: 1,
                                                  totalSeconds: 2, facts: facts, logDirectory: "/l"),
                                 paths: [outcome])
    }

    /// Every figure survives the document's snake case both ways (a key that does not comes
    /// back nil, silently: `portIO` would be written `port_io` and looked for as `portIo`).
    @Test func everyFigureReadsBack() throws {
        let f = try Self.everyFigure()
        let back = try HostPathsDocument.decoder().decode(HostPathsDocument.self,
                                                          from: HostPathsDocument.encoder().encode(Self.document(f)))
        #expect(back.paths[0].figures == f)
        #expect(Mirror(reflecting: back.paths[0].figures!).children.allSatisfy { "\($0.value)" != "nil" })
        #expect(back.guestHost.memoryMiB == 2560)
    }

    /// The document, every field present, against docs/host-paths.schema.json; a renamed key fails.
    @Test(.enabled(if: Requirements.inCI || Requirements.which("python3").map { _ in
        (try? runProcess("/usr/bin/python3", ["-c", "import jsonschema"]).status) == 0 } == true,
        "needs python3-jsonschema"))
    func documentValidatesAgainstItsSchema() throws {
        let data = try HostPathsDocument.encoder().encode(Self.document(try Self.everyFigure()))
        let path = temporaryPath("host-paths", ".json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = [f"{e.json_path}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2])))]
            print("\\n".join(errors) or "valid")
            sys.exit(1 if errors else 0)
            """
        try data.write(to: URL(fileURLWithPath: path))
        let r = try runProcess("/usr/bin/python3", ["-c", script, Repo.root + "/docs/host-paths.schema.json", path])
        #expect(r.status == 0 && r.stdout == "valid\n", "\(r.stdout)\(r.stderr)")
        try Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"clone_eagain\"", with: "\"clone_eagain_count\"").utf8)
            .write(to: URL(fileURLWithPath: path))
        let bad = try runProcess("/usr/bin/python3", ["-c", script, Repo.root + "/docs/host-paths.schema.json", path])
        #expect(bad.status != 0, "a renamed key passed the schema")
    }

    /// A KVM run's host view reads back through the result document's own decoder.
    @Test func kvmExitsReadBack() throws {
        let exits = KVMExits(exits: 3, entries: 3, portIO: 2, reasons: [])
        let data = try ResultDocument.encoder().encode(exits)
        #expect(String(decoding: data, as: UTF8.self).contains("\"port_io\""))
        #expect(try ResultDocument.decoder().decode(KVMExits.self, from: data) == exits)
    }

    @Test func ciSubsetLeavesOutTheSecondLevelGuest() {
        #expect(HostPath.ciSubset == HostPath.allCases.filter { $0 != .kvmOverride })
        #expect(GuestHostScript.quote("a'b") == #"'a'\''b'"#)
    }

    /// A checkout under /tmp stays visible in the guest host, whose /tmp is a fresh tmpfs.
    @Test func aBuildTreeUnderAFreshFolderIsBoundBack() {
        #expect(GuestHostScript.hiddenByFreshFolders(["/tmp/clone/build", "/srv/isoprobe/build", "/run/x", "/tmpfoo/b"])
                == ["/tmp/clone/build", "/run/x"])
        let script = GuestHostScript.initCommands(command: ["true"], keep: ["/tmp/clone/build"])
        #expect(script.contains("mount -o bind '/host/tmp/clone/build' '/newroot/tmp/clone/build'"), "\(script)")
        let tmpfs = script.range(of: "mount -t tmpfs -o mode=1777")!, bind = script.range(of: "mount -o bind")!
        #expect(tmpfs.lowerBound < bind.lowerBound, "the bind must come after the tmpfs that hides it")
        #expect(!GuestHostScript.initCommands(command: ["true"], keep: ["/srv/isoprobe/build"]).contains("mount -o bind"))
    }
}
