import Foundation
import OCI
import Testing

@Suite struct SeccompTests {
    let filter = Seccomp.dockerLikeDefault()

    @Test func allowListHasNoDuplicatesAndNoRefusedCall() {
        let allowed = Seccomp.allowedSyscalls
        #expect(Set(allowed).count == allowed.count)
        #expect(Set(allowed).isDisjoint(with: Seccomp.refusedByDefault))
        for name in ["clone", "clone3", "personality", "io_uring_setup"] {
            #expect(!allowed.contains(name), "\(name)")
        }
    }

    @Test func ordinaryCallsAreAllowed() {
        for name in ["read", "write", "openat", "close", "execve", "exit_group", "wait4", "mmap", "brk",
                     "rt_sigaction", "futex", "getpid", "socket", "pipe2", "getdents64", "newfstatat",
                     "statx", "fchownat", "utimensat", "epoll_wait", "getrandom", "rseq", "arch_prctl"] {
            #expect(filter.allowsUnconditionally(name), "\(name)")
            #expect(filter.verdict(for: name) == .always(.allow, errno: nil))
        }
    }

    @Test func refusedCallsFailWithEPERM() {
        let required = ["bpf", "perf_event_open", "keyctl", "add_key", "request_key", "unshare", "setns",
                        "mount", "umount2", "pivot_root", "ptrace", "process_vm_readv", "process_vm_writev",
                        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
                        "userfaultfd", "open_by_handle_at", "name_to_handle_at", "reboot", "swapon", "swapoff",
                        "acct", "settimeofday", "clock_settime", "adjtimex", "iopl", "ioperm", "create_module",
                        "lookup_dcookie", "quotactl", "vm86", "io_uring_setup"]
        for name in required + Seccomp.refusedByDefault {
            #expect(filter.verdict(for: name) == .always(.errno, errno: 1), "\(name)")
        }
    }

    @Test func cloneRefusesNamespaceFlags() {
        let sigchld: UInt64 = 17
        let threadFlags: UInt64 = 0x003D_0F00 // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
        #expect(filter.verdict(for: "clone", arguments: [sigchld]).action == .allow)
        #expect(filter.verdict(for: "clone", arguments: [threadFlags]).action == .allow)
        for flag: UInt64 in [0x2_0000, 0x200_0000, 0x400_0000, 0x800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000] {
            let verdict = filter.verdict(for: "clone", arguments: [flag | sigchld])
            #expect(verdict.action == .errno && verdict.errno == 1, "flag \(flag)")
        }
        guard case let .dependsOnArguments(rules, otherwise, errno) = filter.verdict(for: "clone") else {
            Issue.record("clone should depend on its flags")
            return
        }
        #expect(rules.count == 1 && otherwise == .errno && errno == 1)
        #expect(!filter.allowsUnconditionally("clone"))
    }

    @Test func clone3IsENOSYSSoGlibcFallsBack() {
        #expect(filter.verdict(for: "clone3") == .always(.errno, errno: 38))
    }

    @Test func personalityOnlyForSafeDomains() {
        for value: UInt64 in [0, 8, 0x2_0000, 0x2_0008, 0xffff_ffff] {
            #expect(filter.verdict(for: "personality", arguments: [value]).action == .allow, "\(value)")
        }
        // ADDR_NO_RANDOMIZE and READ_IMPLIES_EXEC weaken the workload's own hardening.
        for value: UInt64 in [0x4_0000, 0x40_0000] {
            #expect(filter.verdict(for: "personality", arguments: [value]).action == .errno, "\(value)")
        }
    }

    @Test func cloneRuleIsWrittenTheWayRuncReadsIt() throws {
        let json = String(decoding: try JSONEncoder().encode(filter), as: UTF8.self)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let rules = object?["syscalls"] as? [[String: Any]] ?? []
        let clone = try #require(rules.first { ($0["names"] as? [String]) == ["clone"] })
        let arg = try #require((clone["args"] as? [[String: Any]])?.first)
        #expect(arg["index"] as? Int == 0)
        #expect(arg["value"] as? Int == 2_114_060_288) // the mask
        #expect(arg["valueTwo"] as? Int == 0)
        #expect(arg["op"] as? String == "SCMP_CMP_MASKED_EQ")
    }

    @Test func unconditionalRuleBeatsConditionalAndLogRuns() {
        let filter = Seccomp(defaultAction: .allow, syscalls: [
            .init(names: ["kill"], action: .errno, args: [.init(index: 1, value: 9, op: .equal)]),
            .init(names: ["kill"], action: .kill),
            .init(names: ["getpid"], action: .log),
            .init(names: ["ptrace"], action: .errno, errnoRet: 13),
        ])
        #expect(filter.verdict(for: "kill") == .always(.kill, errno: nil))
        #expect(filter.allowsUnconditionally("getpid"))
        #expect(filter.verdict(for: "ptrace") == .always(.errno, errno: 13))
        #expect(filter.allowsUnconditionally("bpf"))
    }
}
