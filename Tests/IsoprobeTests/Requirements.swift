import Foundation
import Testing

/// What the kernel-facing tests need, checked once per process.
///
/// Those tests carry `.enabled(if: Requirements.rootAndBPF || Requirements.inCI, ...)`: on a
/// developer machine without root or BTF they are skipped with a one-line reason; in CI
/// (`CI=true`) they always run, and the `require...` helpers below turn a missing piece
/// into a failure that says what is missing and how to get it.
enum Requirements {
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static var isRoot: Bool { geteuid() == 0 }
    static let btfPath = "/sys/kernel/btf/vmlinux"
    static var kernelBTF: Bool { access(btfPath, R_OK) == 0 }
    static var rootAndBPF: Bool { isRoot && kernelBTF }

    static var strace: String? { which("strace") }
    static var bpftool: String? { which("bpftool") }
    /// The OCI runtime `--env container` uses by default: Debian's package puts it in /usr/sbin.
    static var runc: String? {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc") ? "/usr/sbin/runc" : which("runc")
    }

    /// Root and kernel BTF, or a failure naming the missing one.
    static func requireRootAndBPF(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(isRoot, "not running as root (euid \(geteuid())): the kernel tests load eBPF programs and create cgroups; run `sudo swift test ...`",
                     sourceLocation: sourceLocation)
        try #require(kernelBTF, "\(btfPath) is missing: boot a kernel built with CONFIG_DEBUG_INFO_BTF=y",
                     sourceLocation: sourceLocation)
    }

    /// The CLI binary, compiled probes and fixture workloads under build/.
    static func requireBuilt(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Repo.binary),
                     "\(Repo.binary) is missing: run `make binary` (the tests run the CLI as built)",
                     sourceLocation: sourceLocation)
        try #require(FileManager.default.fileExists(atPath: Repo.probesDirectory + "/syscalls.bpf.o"),
                     "no compiled probes in \(Repo.probesDirectory): run `make probes`",
                     sourceLocation: sourceLocation)
        try #require(FileManager.default.isExecutableFile(atPath: Repo.workloadsDirectory + "/getpid"),
                     "no fixture workloads in \(Repo.workloadsDirectory): run `make workloads`",
                     sourceLocation: sourceLocation)
    }

    static func requireStrace(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(strace, "strace not found on PATH: apt-get install -y strace (or `make deps`)",
                     sourceLocation: sourceLocation)
    }

    static func requireBpftool(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(bpftool, "bpftool not found (needed to check that no probe stays loaded): apt-get install -y bpftool (or `make deps`)",
                     sourceLocation: sourceLocation)
    }

    /// crun, where Debian's package puts it (/usr/bin), else on PATH.
    static var crun: String? { which("crun") }

    static func requireRuntime(_ runtime: OCIRuntimeName, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        switch runtime {
        case .runc:
            return try requireRunc(sourceLocation: sourceLocation)
        case .crun:
            return try #require(crun, "crun not found on PATH (the container tests run under runc and crun): apt-get install -y crun (or `make deps`)",
                                sourceLocation: sourceLocation)
        }
    }

    static func requireRunc(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(runc, "runc not found in /usr/sbin or on PATH (needed for --env container): apt-get install -y runc",
                     sourceLocation: sourceLocation)
    }

    /// Everything a test that runs the binary needs.
    static func requireKernelTestSetup(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try requireRootAndBPF(sourceLocation: sourceLocation)
        try requireBuilt(sourceLocation: sourceLocation)
        _ = try requireBpftool(sourceLocation: sourceLocation)
    }

    /// Debian's prometheus-pushgateway, for the test of `export --push`.
    static var pushgateway: String? { which("prometheus-pushgateway") }

    static func requirePushgateway(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(pushgateway, "prometheus-pushgateway not found on PATH: apt-get install -y prometheus-pushgateway (or `make deps`)",
                     sourceLocation: sourceLocation)
    }

    /// Debian's ansible-core, for the test of the fleet runbook's playbook.
    static var ansiblePlaybook: String? { which("ansible-playbook") }

    static func requireAnsiblePlaybook(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(ansiblePlaybook, "ansible-playbook not found on PATH: apt-get install -y ansible-core (or `make deps`)",
                     sourceLocation: sourceLocation)
    }

    /// Python 3 with a module, e.g. prometheus_client (python3-prometheus-client).
    static func python(with module: String) -> Bool {
        (try? runProcess("/usr/bin/python3", ["-c", "import \(module)"], timeout: 30).status) == 0
    }

    static func requirePython(_ module: String, package: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(python(with: module), "python3 cannot import \(module): apt-get install -y \(package) (or `make deps`)",
                     sourceLocation: sourceLocation)
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            let candidate = dir + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// The OCI runtimes the container tests that assert exact counts, limits and clean-up run
/// under: on a hybrid host crun runs with isoprobe's workaround (cgroup2's controller list
/// hidden in a private mount namespace), on a pure cgroup2 host without it.
enum OCIRuntimeName: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case runc, crun
    var testDescription: String { rawValue }
}
