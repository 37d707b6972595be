import Foundation
import Testing

extension KernelTests {
    /// What is already at an output path decides how isoprobe writes it: only a regular file
    /// is replaced; a device is written in place; a symlink is followed and stays a link.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct OutputPathTests {
        @Test func jsonToDevNullLeavesTheDevice() throws {
            let r = try isoprobe(["run", "--env", "native", "--workload", "getpid:count=10", "--quiet",
                                  "--json", "/dev/null"], json: false)
            #expect(r.process.status == 0, "\(r.process.stderr)")
            var st = stat()
            #expect(stat("/dev/null", &st) == 0)
            #expect(st.st_mode & S_IFMT == S_IFCHR, "/dev/null is no longer a character device")
            // 1:3, the null device.
            #expect(st.st_rdev == UInt(1 << 8 | 3))
        }

        /// A device that refuses the bytes: the C library's reason and what to do, exit 1.
        @Test func jsonToAFullDeviceSaysWhy() throws {
            let r = try isoprobe(["run", "--env", "native", "--workload", "getpid:count=10", "--quiet",
                                  "--json", "/dev/full"], json: false)
            #expect(r.process.status == 1, "\(r.process.stderr)")
            #expect(r.process.stderrLines == ["isoprobe: cannot write /dev/full: No space left on device "
                                              + "(free space on that filesystem, or write elsewhere)"])
        }

        @Test func aSymlinkIsFollowedAndKept() throws {
            let dir = temporaryPath("outlink")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/target.json"))
            #expect(symlink("target.json", dir + "/link.json") == 0)
            let r = try isoprobe(["run", "--env", "native", "--workload", "getpid:count=10", "--quiet",
                                  "--json", dir + "/link.json"], json: false)
            #expect(r.process.status == 0, "\(r.process.stderr)")
            var st = stat()
            #expect(lstat(dir + "/link.json", &st) == 0 && st.st_mode & S_IFMT == S_IFLNK, "the symlink was replaced")
            let text = try String(contentsOfFile: dir + "/target.json", encoding: .utf8)
            #expect(text.contains("\"getpid\""), "the link's target did not get the result")
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            #expect(names == ["link.json", "target.json"], "temporary files left: \(names)")
        }

        /// Four runs opening a new history database at once: every one records its run.
        @Test func concurrentFirstUseOfAHistoryDatabase() throws {
            try Requirements.requireKernelTestSetup()
            let dir = temporaryPath("history")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let db = dir + "/history.sqlite"
            let results = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 4)
            let errors = UnsafeMutableBufferPointer<String>.allocate(capacity: 4)
            errors.initialize(repeating: "")
            defer { results.deallocate(); errors.deallocate() }
            DispatchQueue.concurrentPerform(iterations: 4) { i in
                let r = try? runProcess(Repo.binary, ["run", "--env", "native", "--workload", "getpid:count=10",
                                                      "--quiet", "--db", db], timeout: 60)
                results[i] = r?.status ?? -1
                errors[i] = r?.stderr ?? ""
            }
            #expect(Array(results) == [0, 0, 0, 0], "\(Array(errors))")
            let list = try runProcess(Repo.binary, ["history", "--db", db])
            #expect(list.status == 0, "\(list.stderr)")
            let complete = list.stdout.split(separator: "\n").filter { $0.contains("complete") }
            #expect(complete.count == 4, "history shows \(complete.count) complete sessions:\n\(list.stdout)")
            // A folder is no file to write a report to: one line, bad input.
            let export = try runProcess(Repo.binary, ["export", "latest", "--db", db, "--output", dir])
            #expect(export.status == 2, "\(export.stderr)")
            #expect(export.stderrLines == ["isoprobe: cannot write \(dir): it is a folder (give a file path, for example \(dir)/result.json)"])
        }
    }
}
