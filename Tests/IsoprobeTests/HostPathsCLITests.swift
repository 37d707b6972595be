import Foundation
import IsoprobeCore
import Testing

extension KernelTests {
    /// `host-paths` and `--no-calibration` refuse bad input in one line before anything boots.
    /// The guest host itself runs in `make host-paths` (a minute or two under TCG), not here.
    @Suite(.enabled(if: Requirements.rootAndBPF || Requirements.inCI, "needs root and kernel BTF"))
    struct HostPathsCLITests {
        @Test(arguments: [
            (["host-paths", "--paths", "runc,nope"], "'nope' is not a path"),
            (["host-paths", "--ci", "--paths", "runc"], "--ci and --paths"),
            (["host-paths", "--timeout", "0"], "--timeout"),
            (["run", "--env", "vm", "--no-calibration", "--workload", "getpid:count=10"], "--no-calibration applies to --accel kvm"),
            (["run", "--env", "vm", "--accel", "tcg", "--no-calibration", "--workload", "getpid:count=10"], "--no-calibration applies to --accel kvm"),
        ])
        func refusedInOneLine(arguments: [String], expected: String) throws {
            let r = try isoprobe(arguments, json: false, timeout: 30)
            #expect(r.process.status == 2, "exit \(r.process.status): \(r.process.stderr)")
            let lines = r.process.stderrLines
            #expect(lines.count == 1 && lines[0].hasPrefix("isoprobe: ") && lines[0].contains(expected), "\(r.process.stderr)")
            #expect(r.process.stdout.isEmpty, "stdout: \(r.process.stdout)")
        }

        @Test func everyPathIsNamedInTheHelp() throws {
            let r = try isoprobe(["host-paths", "--help"], json: false, timeout: 30)
            #expect(r.process.status == 0)
            for path in ["cgroup2-native", "runc", "crun-oom-kill", "crun-pids-limit", "kvm-calibration", "kvm-exits", "kvm-override"] {
                #expect(r.process.stdout.contains(path), "\(path) not in the help")
            }
        }
    }
}
