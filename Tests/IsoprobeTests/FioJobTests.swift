import Foundation
import IsoprobeCore
import Testing

/// fio job files as isoprobe reads them: what is handed to fio, and what is refused.
@Suite struct FioJobTests {
    @Test func aJobWithoutAFileGetsTheRunsDevice() throws {
        let job = try FioJob.parse("""
            ; 4 KiB random reads
            [global]
            rw=randread
            bs=4k
            direct=1
            [reader]
            size=16M
            time_based
            """, path: "j.fio")
        #expect(job.usesBlockDevice)
        #expect(job.sizeBytes == 16 << 20)
        #expect(job.script() == "cd \"${TMPDIR:-/tmp}\" && exec 'fio' --output-format=json '--rw=randread' '--bs=4k' "
            + "'--direct=1' '--name=reader' --filename=\"$ISOPROBE_BLOCK\" '--size=16M' '--time_based'")
    }

    /// fio adds a file for every `filename` a job sees: the device named in [global] is not
    /// named again per job (two files on one device fail a verify with EILSEQ).
    @Test func aDeviceNamedGloballyIsNamedOnce() throws {
        let job = try FioJob.parse("[global]\nfilename=${ISOPROBE_BLOCK}\nbs=16k\n[w]\nrw=randwrite\nverify=crc32c\n[r]\nrw=read\n", path: "j.fio")
        #expect(job.usesBlockDevice)
        #expect(job.script().components(separatedBy: "--filename=").count == 2, "\(job.script())")
    }

    /// A [global] after a job applies to the jobs after it, as `--name=global` does on fio's
    /// command line.
    @Test func aLaterGlobalSectionStaysGlobal() throws {
        let job = try FioJob.parse("[a]\nrw=read\n[global]\nioengine=psync\n[b]\nrw=write\n", path: "j.fio")
        #expect(job.script().hasSuffix("'--name=a' --filename=\"$ISOPROBE_BLOCK\" '--rw=read' --name=global '--ioengine=psync' "
            + "'--name=b' --filename=\"$ISOPROBE_BLOCK\" '--rw=write'"), "\(job.script())")
    }

    /// fio expands ${NAME} in a job file but not on its command line: isoprobe expands them
    /// first, from its own environment, except the run's device and scratch folder.
    @Test func environmentVariablesAreExpandedAsFioWould() throws {
        let job = try FioJob.parse("[r]\nsize=${SIZE}\nfilename=${ISOPROBE_BLOCK}\ndescription=a ${WHO} job\n", path: "j.fio",
                                   environment: ["SIZE": "8m", "WHO": "test"])
        #expect(job.sizeBytes == 8 << 20)
        #expect(job.script().contains("'--size=8m'") && job.script().contains("'--description=a test job'"), "\(job.script())")
        #expect(job.script().contains("--filename='\"${ISOPROBE_BLOCK}\"'"), "\(job.script())")
        #expect(throws: IsoprobeError.self) { try FioJob.parse("[r]\nsize=${SIZE}\n", path: "j.fio", environment: [:]) }
        do {
            _ = try FioJob.parse("[r]\nrw=read\nsize=${SIZE}\n", path: "j.fio", environment: [:])
        } catch let error as IsoprobeError {
            #expect(error.description.contains("j.fio:3") && error.description.contains("${SIZE}"), "\(error.description)")
        }
        // A variable cannot smuggle in a device the job may not name.
        #expect(throws: IsoprobeError.self) {
            try FioJob.parse("[w]\nfilename=${DISK}\n", path: "j.fio", environment: ["DISK": "/dev/sda"])
        }
    }

    @Test func theScratchLocationAndTheDeviceMayBeNamed() throws {
        let job = try FioJob.parse("[a]\nfilename=${TMPDIR}/data\nsize=1M\n[b]\nfilename=${ISOPROBE_BLOCK}\n", path: "j.fio")
        #expect(job.usesBlockDevice, "job b names the device")
        #expect(job.script().contains("'--filename='\"${TMPDIR}\"'/data'"))
        #expect(job.script().components(separatedBy: "--filename=").count == 3, "one each: \(job.script())")
        let scratchOnly = try FioJob.parse("[a]\ndirectory=${TMPDIR}\nsize=1M\n", path: "j.fio")
        #expect(!scratchOnly.usesBlockDevice)
    }

    @Test(arguments: ["filename=/dev/sda", "filename=/etc/passwd", "filename=${ISOPROBE_BLOCK}:/dev/nvme0n1",
                      "directory=/var/lib", "filename=${TMPDIR}/../../etc/shadow", "filename=data", "ioengine=sg"])
    func anythingElseIsRefusedInOneLine(_ option: String) throws {
        #expect {
            _ = try FioJob.parse("[global]\nrw=write\n[danger]\n\(option)\n", path: "j.fio")
        } throws: { error in
            let text = (error as? IsoprobeError)?.description ?? ""
            return text.contains("j.fio") && text.contains("[danger]") && !text.contains("\n")
        }
    }

    @Test func fiosJSONBecomesTheBlockFigures() throws {
        let output = """
            fio: some notice first
            {"jobs": [{"jobname": "reader", "read": {"total_ios": 500, "io_bytes": 2048000, "iops": 1234.5, "bw_bytes": 5056512,
              "clat_ns": {"percentile": {"50.000000": 70000, "99.000000": 900000, "99.900000": 2000000}}},
              "write": {"total_ios": 0, "io_bytes": 0, "iops": 0, "bw_bytes": 0}}]}
            """
        let jobs = try #require(FioJobFigures.parse(output: output))
        #expect(jobs.count == 1 && jobs[0].name == "reader" && jobs[0].write == nil)
        #expect(jobs[0].read?.ios == 500 && jobs[0].read?.latencyP99Ns == 900_000)
        let job = try FioJob.parse("[reader]\nrw=randread\nbs=4k\niodepth=4\n", path: "j.fio")
        let figures = try #require(BlockIOFigures(fio: jobs, job: job))
        #expect(figures.iops == 1234.5 && figures.ios == 500 && figures.queueDepth == 4 && figures.pattern == "randread")
    }
}
