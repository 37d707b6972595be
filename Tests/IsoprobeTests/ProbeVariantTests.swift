import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// Each way the syscall probe keeps start times (per-CPU slots, task storage, a hash
    /// under raw_tp) must count exactly; ISOPROBE_ATTACH forces the older variants on a
    /// kernel that has them all.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct ProbeVariantTests {
        func run(_ workload: String, attach: String?) throws -> RunResult {
            var env = smallEnvironment()
            if let attach { env["ISOPROBE_ATTACH"] = attach }
            let r = try isoprobe(["run", "--workload", workload, "--quiet"], environment: env)
            #expect(r.process.status == 0, "isoprobe exited \(r.process.status): \(r.process.stderr)")
            let doc = try #require(r.document, "no JSON; stderr: \(r.process.stderr)")
            return try #require(doc.runs.first)
        }

        @Test(arguments: [nil, "tp_btf", "raw_tp"])
        func exactCountsUnderEveryVariant(_ attach: String?) throws {
            let getpid = try run("getpid:count=20000", attach: attach)
            let mode = getpid.probes.first { $0.family == "syscalls" }?.mode
            #expect(mode == (attach == "raw_tp" ? "raw_tp" : "tp_btf"))
            #expect((20_000...20_010).contains(getpid.syscall("getpid")?.count ?? 0))

            // Unpinned, the two processes block, get preempted and migrate inside their
            // syscalls: the slow paths of the per-CPU variant (spill, cross-CPU search).
            let pingpong = try run("pingpong:rounds=3000,pin=0", attach: attach)
            #expect(pingpong.syscall("read")?.count == 6000)
            #expect(pingpong.syscall("write")?.count == 6001) // + the result line
            for s in pingpong.syscalls where s.name != "exit_group" {
                #expect(s.latencyHist.count == s.count, "\(s.name): histogram \(s.latencyHist.count) of \(s.count)")
            }
        }

        /// Probes built for another loader are refused with one line, not half-used.
        @Test func refusesProbesOfAnotherABI() throws {
            let dir = temporaryPath("probes-old-abi")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            for f in try FileManager.default.contentsOfDirectory(atPath: Repo.probesDirectory) {
                try FileManager.default.copyItem(atPath: Repo.probesDirectory + "/" + f, toPath: dir + "/" + f)
            }
            // Patch the compiled-in ABI number (a 4-byte .rodata value) to one no loader uses.
            let object = dir + "/syscalls.bpf.o"
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: object)))
            let patched = try patchABI(&bytes)
            try #require(patched, "could not find isoprobe_abi in syscalls.bpf.o")
            try Data(bytes).write(to: URL(fileURLWithPath: object))

            let r = try isoprobe(["run", "--probes-dir", dir, "--workload", "getpid:count=10", "--quiet"], json: false)
            #expect(r.process.status != 0)
            let lines = r.process.stderr.split(separator: "\n")
            #expect(lines.count == 1, "want one error line, got: \(r.process.stderr)")
            #expect(r.process.stderr.contains("probe ABI") && r.process.stderr.contains("make probes"))
        }

        /// Finds .rodata through the section headers and rewrites the u32 holding the ABI
        /// number (the first u32 there equal to it).
        func patchABI(_ bytes: inout [UInt8]) throws -> Bool {
            func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
            func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
            func u64(_ o: Int) -> Int { u32(o) | u32(o + 4) << 32 }
            let shoff = u64(0x28), shentsize = u16(0x3a), shnum = u16(0x3c), shstrndx = u16(0x3e)
            let strtab = u64(shoff + shstrndx * shentsize + 0x18)
            for i in 0..<shnum {
                let sh = shoff + i * shentsize
                var name = "", p = strtab + u32(sh)
                while bytes[p] != 0 { name.append(Character(UnicodeScalar(bytes[p]))); p += 1 }
                guard name == ".rodata" else { continue }
                let off = u64(sh + 0x18), size = u64(sh + 0x20)
                // isoprobe_abi is the first global in target.bpf.h, so it sits at offset 0.
                guard size >= 4, u32(off) == Int(currentABI) else { return false }
                bytes[off] = 0xEE
                return true
            }
            return false
        }

        var currentABI: UInt32 {
            let header = (try? String(contentsOfFile: Repo.root + "/probes/histogram.h", encoding: .utf8)) ?? ""
            let line = header.split(separator: "\n").first { $0.contains("#define ISOPROBE_PROBES_ABI") }
            return line.flatMap { UInt32($0.split(separator: " ").last ?? "") } ?? 0
        }
    }
}
