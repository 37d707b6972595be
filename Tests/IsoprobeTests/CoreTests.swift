import Foundation
import IsoprobeCore
import Testing

@Suite struct WorkloadSpecTests {
    @Test func nameOnly() throws {
        let spec = try WorkloadSpec.parse("getpid")
        #expect(spec.name == "getpid")
        #expect(spec.parameters.isEmpty)
        #expect(spec.command == nil)
        #expect(spec.text == "getpid")
    }

    @Test func nameWithParametersKeepsTheirOrder() throws {
        let spec = try WorkloadSpec.parse("pipe-rw:count=3000,size=64")
        #expect(spec.name == "pipe-rw")
        #expect(spec.parameters.map(\.key) == ["count", "size"])
        #expect(spec.parameters.map(\.value) == ["3000", "64"])
        #expect(spec.parameter("size") == "64")
        #expect(spec.parameter("nosuch") == nil)
        #expect(spec.text == "pipe-rw:count=3000,size=64")
    }

    @Test func valueMayContainEqualsAndColon() throws {
        let spec = try WorkloadSpec.parse("fileio:dir=/tmp/a=b:c")
        #expect(spec.parameters.count == 1)
        #expect(spec.parameter("dir") == "/tmp/a=b:c")
    }

    @Test func trailingColonMeansNoParameters() throws {
        let spec = try WorkloadSpec.parse("getpid:")
        #expect(spec.name == "getpid")
        #expect(spec.parameters.isEmpty)
    }

    @Test("refused specs", arguments: [
        ("", "name"),                        // empty
        (":count=1", "name"),                // empty name
        ("get pid", "name"),                 // not a name character
        ("getpid:count", "'count' is not key=value"),
        ("getpid:count=", "'count=' is not key=value"),
        ("getpid:=5", "'=5' is not key=value"),
        ("getpid:count=1,,size=2", "'' is not key=value"),
        ("getpid:count=1,count=2", "'count' is given twice"),
    ])
    func refused(text: String, mentions: String) throws {
        let error = try #require(throws: IsoprobeError.self) { try WorkloadSpec.parse(text) }
        #expect(error.kind == .usage)
        #expect(error.exitCode == 2)
        #expect(error.description.contains(mentions), "\(error.description)")
        #expect(!error.description.contains("\n"), "an error is one line: \(error.description)")
    }

    @Test func commandSpecIsNamedAfterTheProgram() {
        let spec = WorkloadSpec.command(["/usr/bin/tar", "cf", "x.tar", "."])
        #expect(spec.name == "tar")
        #expect(spec.command == ["/usr/bin/tar", "cf", "x.tar", "."])
        #expect(spec.text == "/usr/bin/tar cf x.tar .")
    }
}

@Suite struct WorkloadReportTests {
    @Test func parsesTheResultLine() throws {
        let out = "noise\nisoprobe-workload name=getpid ops=100000 elapsed_ns=2500000 ns_per_op=25.00\n"
        let r = try #require(WorkloadReport.parse(output: out))
        #expect(r.ops == 100_000)
        #expect(r.elapsedNs == 2_500_000)
        #expect(r.nsPerOp == 25.0)
        #expect(r.extra == ["name": "getpid"])
    }

    @Test func keepsExtraFieldsAndTakesTheLastLine() throws {
        let out = """
            isoprobe-workload name=compute ops=1 elapsed_ns=1 ns_per_op=1.00
            isoprobe-workload name=compute ops=50 elapsed_ns=1000 ns_per_op=20.00 checksum=00000000deadbeef
            trailing output
            """
        let r = try #require(WorkloadReport.parse(output: out))
        #expect(r.ops == 50)
        #expect(r.elapsedNs == 1000)
        #expect(r.extra == ["name": "compute", "checksum": "00000000deadbeef"])
    }

    @Test func computesNsPerOpWhenMissing() throws {
        let r = try #require(WorkloadReport.parse(output: "isoprobe-workload ops=4 elapsed_ns=10\n"))
        #expect(r.nsPerOp == 2.5)
    }

    @Test("no report", arguments: [
        "",
        "hello\n",
        "isoprobe-workload name=x elapsed_ns=10\n",          // no ops
        "isoprobe-workload name=x ops=10\n",                 // no elapsed_ns
        "isoprobe-workload name=x ops=ten elapsed_ns=10\n",  // not a number
        " isoprobe-workload ops=1 elapsed_ns=1\n",           // not at the start of the line
    ])
    func noReport(output: String) {
        #expect(WorkloadReport.parse(output: output) == nil)
    }
}

@Suite struct ResultDocumentTests {
    static func sampleRun(parameters: [String: String] = ["count": "1000"],
                          extra: [String: String] = ["name": "getpid"]) -> RunResult {
        var lat = Log2Histogram(unit: "ns")
        lat.record(90, times: 999)
        lat.record(5000)
        var runq = Log2Histogram(unit: "ns")
        runq.record(0)
        runq.record(1 << 45)
        return RunResult(
            environment: "native",
            workload: WorkloadDescription(spec: "getpid:count=1000", name: "getpid", parameters: parameters,
                                          command: ["/x/build/workloads/getpid", "count=1000"]),
            repetition: 2, startedAt: Date(timeIntervalSince1970: 1_700_000_000),
            wallNs: 1_234_567, cpuUserNs: 1000, cpuSystemNs: 2000,
            exit: ExitDescription(kind: "exited", code: 0, signal: nil, description: "exited with status 0"),
            workloadReport: WorkloadReport(ops: 1000, elapsedNs: 90_000, nsPerOp: 90, extra: extra),
            target: TargetDescription(cgroupPath: "/sys/fs/cgroup/unified/isoprobe-native-1-1", cgroupId: 842,
                                      cgroupLevel: 1),
            probes: [ProbeStatus(family: "syscalls", attached: true, mode: "tp_btf"),
                     ProbeStatus(family: "memory", attached: false, mode: "unsupported", detail: "why")],
            syscalls: [SyscallStats(name: "getpid", nr: 39, count: 1000, errors: 1,
                                    errnos: [.init(errno: "EPERM", code: 1, count: 1)],
                                    totalNs: 95_000, latencyHist: lat)],
            sched: SchedStats(contextSwitches: .init(voluntary: 1, involuntary: 2), migrations: 3, wakeups: 4,
                              wakeupsNew: 5, runqueueLatencyHist: runq, runqueueLatencyTotalNs: 6,
                              oncpuSliceHist: Log2Histogram(unit: "ns"), oncpuTotalNs: 7),
            memory: MemoryStats(pageFaults: .init(user: 60, kernel: 4), mmap: .init(calls: 1, bytes: 4096),
                                munmap: nil, brk: .init(calls: 5, growBytes: 139_264, shrinkBytes: 0),
                                peakRssBytes: 1 << 20),
            slowSyscalls: [SlowSyscall(name: "nanosleep", pid: 10, tid: 10, cpu: 1, comm: "sleep",
                                       startNs: 5, durationNs: 200_000_000, ret: 0)],
            eventsDropped: 0, setupNs: 100, teardownNs: 200)
    }

    static func document(_ run: RunResult) -> ResultDocument {
        let host = HostFacts(hostname: "h", kernel: "6.18", architecture: "x86_64", cpuModel: "cpu", cpus: 2,
                             memoryBytes: 1 << 30, cgroupLayout: "hybrid", clocksource: "tsc")
        return ResultDocument(host: host, runs: [run], createdAt: Date(timeIntervalSince1970: 1_700_000_100))
    }

    @Test func roundTripsThroughEncoderAndDecoder() throws {
        let doc = Self.document(Self.sampleRun())
        let data = try doc.jsonData()
        let back = try ResultDocument.decoder().decode(ResultDocument.self, from: data)
        #expect(back.schema == "isoprobe.result")
        #expect(back.schemaVersion == ResultDocument.currentVersion)
        #expect(back.createdAt == doc.createdAt)
        #expect(back.host == doc.host)
        let run = try #require(back.runs.first)
        let original = Self.sampleRun()
        #expect(run.workload == original.workload)
        #expect(run.exit == original.exit)
        #expect(run.workloadReport == original.workloadReport)
        #expect(run.target == original.target)
        #expect(run.probes == original.probes)
        #expect(run.syscalls == original.syscalls)
        #expect(run.sched == original.sched)
        #expect(run.memory == original.memory)
        #expect(run.slowSyscalls == original.slowSyscalls)
        #expect(run.startedAt == original.startedAt)
        // And re-encoding gives the same bytes (sorted keys).
        #expect(try back.jsonData() == data)
    }

    @Test func jsonUsesSnakeCaseKeys() throws {
        let text = String(decoding: try Self.document(Self.sampleRun()).jsonData(), as: UTF8.self)
        for key in ["\"schema_version\"", "\"isoprobe_version\"", "\"cpu_user_ns\"", "\"workload_report\"",
                    "\"latency_hist\"", "\"context_switches\"", "\"page_faults\"", "\"peak_rss_bytes\"",
                    "\"slow_syscalls\"", "\"cgroup_path\"", "\"ns_per_op\""] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(!text.contains("cpuUserNs"))
    }

    /// Workload parameters and the workload's extra fields are user data: their keys must
    /// come back exactly as given, whatever the key strategy does to field names.
    @Test func userKeysInDictionariesRoundTripUnchanged() throws {
        let run = Self.sampleRun(parameters: ["hold_ms": "10", "mib": "4", "dirName": "x"],
                                 extra: ["forked": "3", "refused_total": "1", "camelCase": "y"])
        let data = try Self.document(run).jsonData()
        let back = try ResultDocument.decoder().decode(ResultDocument.self, from: data)
        let r = try #require(back.runs.first)
        #expect(r.workload.parameters == ["hold_ms": "10", "mib": "4", "dirName": "x"],
                "JSON: \(String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.contains("hold") || $0.contains("dir") })")
        #expect(r.workloadReport?.extra == ["forked": "3", "refused_total": "1", "camelCase": "y"])
    }
}

@Suite struct ErrnoNameTests {
    /// The kernel's own codes (include/linux/errno.h) have their names, not E512.
    @Test func kernelInternalCodesHaveTheirNames() {
        #expect(ErrnoNames.name(2) == "ENOENT")
        #expect(ErrnoNames.name(512) == "ERESTARTSYS")
        #expect(ErrnoNames.name(513) == "ERESTARTNOINTR")
        #expect(ErrnoNames.name(514) == "ERESTARTNOHAND")
        #expect(ErrnoNames.name(515) == "ENOIOCTLCMD")
        #expect(ErrnoNames.name(516) == "ERESTART_RESTARTBLOCK")
        #expect(ErrnoNames.name(521) == "EBADHANDLE")
        #expect(ErrnoNames.name(524) == "ENOTSUPP")
        #expect(ErrnoNames.name(530) == "ERECALLCONFLICT")
        #expect(ErrnoNames.name(520) == "E520", "no kernel code 520")
        #expect(ErrnoNames.name(4000) == "E4000")
    }

    /// Reports mark them: a restart, or a code the kernel keeps to itself.
    @Test func kernelInternalCodesAreMarked() {
        #expect(ErrnoNames.note(512) == "restarted, not seen by the program")
        #expect(ErrnoNames.note(516) == "restarted, not seen by the program")
        #expect(ErrnoNames.note(515) == "kernel-internal code")
        #expect(ErrnoNames.note(524) == "kernel-internal code")
        #expect(ErrnoNames.note(4) == nil, "EINTR is an error the program gets")
        #expect(ErrnoNames.note(2) == nil)
        #expect(!ErrnoNames.isKernelInternal(133) && ErrnoNames.isKernelInternal(512))
    }
}

@Suite struct ErrnoWordsTests {
    /// The text is the C library's own, as strerror gives it, for known and unknown codes.
    @Test func errnoInTheCLibrarysWords() {
        #expect(ErrorWords.of(errno: ENOENT) == "No such file or directory")
        #expect(ErrorWords.of(errno: EACCES) == "Permission denied")
        for code in [EPERM, EINTR, ENOSPC, ENXIO, EROFS, 0, 4000] {
            #expect(ErrorWords.of(errno: code) == String(cString: strerror(code)), "errno \(code)")
        }
    }
}

@Suite struct LastOutputTests {
    @Test func theLastLineThatSaysSomething() {
        let fio = "fio: pid=10, err=1/file:engines/io_uring.c:998, func=io_queue_init, error=Operation not permitted\n{\n  \"jobs\" : [\n  ]\n}\n\n"
        #expect(ExitDescription.lastWords(of: fio) == "fio: pid=10, err=1/file:engines/io_uring.c:998, func=io_queue_init, error=Operation not permitted")
        #expect(ExitDescription.lastWords(of: "") == nil)
        #expect(ExitDescription.lastWords(of: "\n  \n{}\n") == nil)
    }

    @Test func oneBoundedTerminalLine() {
        let long = String(repeating: "x", count: 1000) + "\u{1b}[2J"
        let words = ExitDescription.lastWords(of: "first\n" + long + "\n")
        #expect(words?.count == ExitDescription.lastOutputLimit)
        #expect(ExitDescription.lastWords(of: "bad \u{1b}[2J screen\n") == "bad \\u{1b}[2J screen")
        var exit = ExitDescription(kind: "exited", code: 1, signal: nil, description: "exited with status 1")
        #expect(exit.explained == "exited with status 1")
        exit.lastOutput = "no space left"
        #expect(exit.explained == "exited with status 1: no space left")
    }
}
