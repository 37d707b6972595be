import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// blockio on the plan's raw block device: a loop device with direct I/O natively and in
    /// a container, QEMU's own virtio-blk disk in a guest. A fixed number of I/Os (`ios=`)
    /// shows as exactly that many completions, and nothing of the device is left afterwards
    /// (the `isoprobe` helper checks loop devices and backing folders after every run).
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct BlockIOTests {
        static let ios = 2000

        @Test func randomReadsReachTheBlockDeviceInEveryEnvironment() throws {
            try #require(VMRequirements.available, "qemu-system-x86_64 or the guest kernel is missing: apt-get install -y qemu-system-x86; make kernel")
            _ = try Requirements.requireRunc()
            let r = try isoprobe(["run", "--env", "native,container,vm", "--workload",
                                  "blockio:pattern=randread,bs=4096,qd=32,ios=\(Self.ios)",
                                  // Beside the raw disk, the guest's scratch disk still holds TMPDIR.
                                  "--workload", "fileio:count=5", "--reps", "1", "--quiet"],
                                 timeout: 240)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let doc = try #require(r.document, "no JSON; stderr: \(r.process.stderr)")
            #expect(Set(doc.runs.map(\.environment)) == ["native", "container", "vm"])
            for run in doc.runs where run.workload.name == "fileio" {
                #expect(run.workloadReport?.extra["fs"] == "ext4", "\(run.environment): fileio on \(run.workloadReport?.extra["fs"] ?? "?")")
            }
            for run in doc.runs where run.workload.name == "blockio" {
                let figures = try #require(run.blockIo, "no block figures in \(run.environment): \(String(describing: run.workloadReport))")
                #expect(figures.ios == UInt64(Self.ios), "\(run.environment): \(figures.ios) completions")
                #expect(figures.bytes == UInt64(Self.ios) * 4096)
                #expect(figures.queueDepth == 32 && figures.pattern == "randread")
                #expect(figures.iops > 0)
                // A guest keeps time by the TSC, not in jiffies' 4 ms steps: no latency reads as 0.
                #expect(figures.latencyP50Ns > 0, "\(run.environment): \(figures)")
                #expect(figures.latencyP50Ns <= figures.latencyP99Ns && figures.latencyP99Ns <= figures.latencyP999Ns)
                // One AIO context, opened and closed once, in every kernel.
                #expect(run.syscall("io_setup")?.count == 1, "\(run.environment): io_setup \(run.syscall("io_setup")?.count ?? 0)")
                #expect(run.syscall("io_destroy")?.count == 1)
                #expect((run.syscall("io_submit")?.count ?? 0) >= 1 && (run.syscall("io_getevents")?.count ?? 0) >= 1)
                // The block probe in the same kernel: every byte reached the device, in as many
                // requests or fewer (the block layer merges adjacent ones).
                let layer = try #require(run.blockLayer, "no block probe figures in \(run.environment)")
                let reads = try #require(layer.operation("read"))
                #expect(reads.bytes == UInt64(Self.ios) * 4096, "\(run.environment): \(reads.bytes) bytes read at the device")
                #expect(reads.completions <= UInt64(Self.ios) && reads.completions >= UInt64(Self.ios) * 9 / 10,
                        "\(run.environment): \(reads.completions) requests")
                #expect(layer.issued == reads.completions && layer.unmatched == 0 && layer.operation("write") == nil)
                #expect(layer.maxInFlight >= 1 && layer.maxInFlight <= 32, "\(run.environment): \(layer.maxInFlight) in flight")
                #expect(reads.latencyHist.count == reads.completions)
                let path = try #require(run.details?.blockPath, "no block path named in \(run.environment)")
                #expect(path.backingBytes == BlockDeviceNeed.defaultBytes)
                switch run.environment {
                case "vm":
                    #expect(path.kind == "virtio-blk" && path.cache == "none" && path.aio == "native" && path.queues == 1, "\(path)")
                    // The host's view: QEMU submitted the guest's reads with Linux AIO, at least
                    // one call per I/O the device saw in all, and spent CPU on them.
                    let vmm = try #require(figures.vmm, "no VMM figures per I/O")
                    #expect((vmm.ioSyscalls["io_submit"] ?? 0) >= 1 && vmm.ioSyscallsPerIo > 0, "\(vmm)")
                    #expect((vmm.cpuPerIoNs ?? 0) > 0, "\(vmm)")
                    #expect(path.device.hasPrefix("/dev/vd"), "\(path)")
                default:
                    #expect(path.kind == "loop" && path.device.hasPrefix("/dev/loop") && path.directIo == true, "\(path)")
                    #expect(figures.vmm == nil)
                }
            }
        }

        /// A killed isoprobe's loop device and backing are found and removed by `isoprobe cleanup`.
        @Test func cleanupDetachesAKilledRunsLoopDevice() throws {
            try Requirements.requireKernelTestSetup()
            let state = temporaryPath("state")
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: state) }
            var environment = smallEnvironment()
            environment["ISOPROBE_STATE_DIR"] = state
            environment["ISOPROBE_PAUSE_AT"] = "block-device"
            var seen: [String] = []
            let killed = try runProcess(Repo.binary, ["run", "--env", "native", "--no-history", "--quiet",
                                                      "--workload", "blockio:size=8M,ios=10"],
                                        environment: environment, timeout: 30) { process in
                let deadline = Date().addingTimeInterval(20)
                while Date() < deadline && Leftovers.blockLoopDevices().isEmpty { usleep(20_000) }
                usleep(100_000)
                seen = Leftovers.blockLoopDevices()
                kill(process.processIdentifier, SIGKILL)
            }
            #expect(killed.reason == .uncaughtSignal)
            #expect(seen.count == 1, "the paused run's loop device: \(seen)")
            environment["ISOPROBE_PAUSE_AT"] = nil
            let cleanup = try runProcess(Repo.binary, ["cleanup"], environment: environment, timeout: 30)
            #expect(cleanup.status == 0, "\(cleanup.stderr)")
            #expect(cleanup.stdout.contains("loop device"), "cleanup said: \(cleanup.stdout)")
            #expect(Leftovers.blockLoopDevices().isEmpty, "still attached: \(Leftovers.blockLoopDevices())")
            #expect(Leftovers.scratches().filter { $0.contains("isoprobe-block-") }.isEmpty)
        }

        /// A fio job of exactly 500 reads of 4 KiB with psync: fio's figures say 500, and the
        /// block probe saw the same 500 requests reach the loop device.
        @Test func aFioJobRunsOnTheLoopDevice() throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/fio"), "fio is missing: apt-get install -y fio (or make deps)")
            let job = temporaryPath("job", ".fio")
            try "[global]\nrw=randread\nbs=4k\ndirect=1\nioengine=psync\n[reader]\nsize=8M\nnumber_ios=500\n"
                .write(toFile: job, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: job) }
            let r = try isoprobe(["run", "--env", "native", "--workload", "fio:job=\(job)", "--reps", "1", "--quiet"], timeout: 60)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let run = try #require(r.document?.runs.first)
            let read = try #require(run.fio?.first?.read, "no fio figures: \(String(describing: run.fio))")
            #expect(read.ios == 500 && read.bytes == 500 * 4096)
            #expect(run.blockIo?.iops == read.iops && run.blockIo?.pattern == "randread")
            let layer = try #require(run.blockLayer?.operation("read"))
            // Exact, unless the kernel skipped some of the probe's runs (it says how many).
            let missed = run.blockLayer?.missedRuns ?? 0
            #expect(layer.completions <= 500 && layer.completions + missed >= 500 && layer.bytes == layer.completions * 4096,
                    "block probe: \(layer.completions) reads, \(missed) runs missed")
            #expect(run.details?.blockPath?.kind == "loop")
        }

        /// A job that names the device in [global] and verifies what it wrote: the device is
        /// one file to fio, so every block reads back as written.
        @Test func aVerifyingJobReadsBackWhatItWrote() throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/fio"), "fio is missing: apt-get install -y fio (or make deps)")
            let job = temporaryPath("job", ".fio")
            try "[global]\nfilename=${ISOPROBE_BLOCK}\ndirect=1\nioengine=libaio\niodepth=4\nbs=16k\n[verify]\nrw=randwrite\nverify=crc32c\nio_size=4m\n"
                .write(toFile: job, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: job) }
            let r = try isoprobe(["run", "--env", "native", "--workload", "fio:job=\(job)", "--reps", "1", "--quiet"], timeout: 60)
            #expect(r.process.status == 0, "stderr: \(r.process.stderr)")
            let run = try #require(r.document?.runs.first)
            #expect(run.fio?.first?.write?.bytes == 4 << 20 && run.fio?.first?.read?.bytes == 4 << 20, "\(String(describing: run.fio))")
            // fio saves the verify's state beside its job: in the run's scratch folder, gone with it.
            let cwd = FileManager.default.currentDirectoryPath
            let states = try FileManager.default.contentsOfDirectory(atPath: cwd).filter { $0.hasSuffix("-verify.state") }
            #expect(states.isEmpty, "fio left \(states) in \(cwd)")
        }

        /// The hardened container's seccomp profile refuses io_uring: the run fails, and the
        /// one line that says so carries fio's own words, as the JSON's `exit.last_output` does.
        @Test func aFioEngineTheContainerRefusesSaysWhy() throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/fio"), "fio is missing: apt-get install -y fio (or make deps)")
            _ = try Requirements.requireRunc()
            let job = temporaryPath("job", ".fio")
            try "[ring]\nrw=randread\nbs=4k\ndirect=1\nioengine=io_uring\nnumber_ios=10\n".write(toFile: job, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: job) }
            let r = try isoprobe(["run", "--env", "container", "--workload", "fio:job=\(job)", "--reps", "1", "--quiet"], timeout: 60)
            #expect(r.process.status == ExitStatus.workloadFailed.rawValue, "stderr: \(r.process.stderr)")
            let exit = try #require(r.document?.runs.first?.exit)
            let words = try #require(exit.lastOutput, "no last output in \(exit)")
            #expect(words.contains("io_uring") && words.contains("Operation not permitted"), "\(words)")
            let line = try #require(r.process.stderrLines.last)
            #expect(line.contains("exited with status 1: ") && line.hasSuffix(words), "\(r.process.stderr)")
        }

        @Test func aFioJobNamingAnotherDeviceIsRefused() throws {
            let job = temporaryPath("job", ".fio")
            try "[wipe]\nrw=write\nfilename=/dev/sda\n".write(toFile: job, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: job) }
            let r = try isoprobe(["run", "--env", "native", "--workload", "fio:job=\(job)"], json: false)
            #expect(r.process.status == 2)
            #expect(r.process.stderrLines.count == 1 && r.process.stderr.contains("/dev/sda"), "\(r.process.stderr)")
            #expect(Leftovers.blockLoopDevices().isEmpty)
        }

        @Test func aBadPatternIsRefusedInOneLine() throws {
            let r = try isoprobe(["run", "--env", "native", "--workload", "blockio:pattern=sideways"], json: false)
            #expect(r.process.status == 2)
            #expect(r.process.stderrLines.count == 1, "\(r.process.stderr)")
            #expect(r.process.stderr.contains("pattern") && r.process.stderr.contains("randread"))
            #expect(Leftovers.blockLoopDevices().isEmpty)
        }
    }
}
