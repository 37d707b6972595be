// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "isoprobe",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "isoprobe", targets: ["isoprobe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.0"),
    ],
    targets: [
        // libbpf, libelf and zlib from the distribution (libbpf-dev, libelf-dev).
        .systemLibrary(name: "CBPF", pkgConfig: "libbpf",
                       providers: [.apt(["libbpf-dev", "libelf-dev"])]),
        // What Swift cannot call directly: variadic syscall(), clone3, libbpf's va_list logger.
        .target(name: "CShim", dependencies: ["CBPF"]),
        // The only module that calls libbpf.
        .target(name: "BPF", dependencies: ["CBPF", "CShim", .product(name: "SystemPackage", package: "swift-system")]),
        // Result model, workload specs, syscall names, errors: no system libraries; swift-system
        // only for errno in words (Errno).
        .target(name: "IsoprobeCore", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        // The host itself: finding helper programs (HostTool), starting them (HelperCommand),
        // reading /proc (ProcFS), signals (Interruption, PausePoint, and retryingOnInterrupt
        // for the calls swift-system does not wrap), and the ledger of what isoprobe made,
        // which the next one sweeps after a SIGKILL (ResourceLedger).
        .target(name: "Host", dependencies: ["CShim", "IsoprobeCore", .product(name: "SystemPackage", package: "swift-system")]),
        // The probe families: load, filter to a cgroup, read into the result model.
        .target(name: "Probes", dependencies: ["BPF", "CShim", "Host", "IsoprobeCore"]),
        // The one protocol every environment (native, container, vm) conforms to, the native
        // environment, and the rules that turn a run into a RunResult.
        .target(name: "Environments", dependencies: ["CShim", "Host", "IsoprobeCore", "Probes"]),
        // Every report format from the result model: text, Markdown, JSON, CSV, OpenMetrics,
        // HTML with SVG plots, Chrome trace.
        .target(name: "Reports", dependencies: ["IsoprobeCore"]),
        // Statistics over repetitions: medians, IQR, bootstrap intervals, ratios to native,
        // Mann-Whitney U, the significance rule that `compare` applies.
        .target(name: "Analysis", dependencies: ["IsoprobeCore"]),
        // Suite files (TOML): parsed with positions, validated whole before anything runs.
        .target(name: "Suite", dependencies: ["IsoprobeCore"]),
        // Performance isolation: a victim alone and beside noisy neighbours in a second guest
        // of the same environment; what each kind of environment offers isolation checks.
        .target(name: "Neighbours", dependencies: ["Analysis", "Container", "Environments", "Harness", "Host", "IsoprobeCore",
                                                   "OCI", "Probes", "VMEnvironment"]),
        // Security boundaries between guests and the host: the checks' model, expectations
        // from a profile, the verdict policy (a policy file is TOML, read like a suite), the
        // guests A and B with canaries, the weakened control, reports; `verify` as a whole,
        // performance isolation included.
        .target(name: "Verify", dependencies: ["Container", "Environments", "Harness", "Host", "IsoprobeCore", "Neighbours",
                                               "OCI", "Probes", "Suite", "VMEnvironment"]),
        // PostgreSQL's own client library from the distribution (libpq-dev).
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Every run with the host's facts: in an SQLite file on this host (GRDB), or in a
        // PostgreSQL database many hosts share (libpq); one schema for both.
        .target(name: "History", dependencies: ["CPostgres", "IsoprobeCore", .product(name: "GRDB", package: "GRDB.swift")]),
        // The file set a container rootfs and a VM initramfs share.
        .target(name: "GuestImage", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        // OCI runtime-spec models, the hardened profile, the seccomp profile.
        .target(name: "OCI", dependencies: ["IsoprobeCore"]),
        // Workloads in OCI containers (runc, crun, ...).
        .target(name: "Container", dependencies: ["Environments", "GuestImage", "Host", "IsoprobeCore", "OCI"]),
        // QEMU guests: kernel lookup, argument builders, booting an initramfs root.
        .target(name: "VM", dependencies: ["GuestImage", "Host", "IsoprobeCore",
                                           .product(name: "SystemPackage", package: "swift-system")]),
        // Plans and runs: a request across environments and repetitions, the workload catalog,
        // where the probes and workloads are, progress.
        .target(name: "Harness", dependencies: ["Analysis", "Container", "Environments", "Host", "IsoprobeCore", "Probes", "Reports",
                                                "VMEnvironment"]),
        // The guest side of --env vm: serves the host's run requests inside a guest.
        .target(name: "Agent", dependencies: ["AgentProtocol", "Environments", "Harness", "IsoprobeCore", "Probes"]),
        // isoprobe checking itself and its host: doctor, the probe check, the self-benchmarks.
        .target(name: "Diagnostics", dependencies: ["BPF", "Container", "Environments", "Harness", "Host", "IsoprobeCore", "KVM",
                                                    "Probes", "Suite", "VM", "VMEnvironment",
                                                    .product(name: "SystemPackage", package: "swift-system")]),
        // The KVM calibration: does /dev/kvm run guest kernel code natively? CKVM makes the KVM
        // API calls (a VM, a vCPU, one KVM_RUN, a kick); KVM decides what to run and what it means.
        .target(name: "CKVM"),
        .target(name: "KVM", dependencies: ["CKVM", "Host", "IsoprobeCore"]),
        // Workloads in QEMU guests: one guest serves a plan's runs (or one per run), the agent
        // inside measures, and the host's probes watch QEMU.
        .target(name: "VMEnvironment", dependencies: ["AgentProtocol", "Environments", "GuestImage", "Host", "IsoprobeCore", "KVM",
                                                      "Probes", "VM"]),
        // `isoprobe host-paths`: a guest booted as a test host (pure cgroup2, the host's root over
        // 9p, kvm_amd on TCG's emulated AMD-V) runs the paths users' hosts take; the host judges.
        .target(name: "HostPaths", dependencies: ["AgentProtocol", "Container", "Environments", "GuestImage", "Host",
                                                  "IsoprobeCore", "KVM", "Probes", "VM", "VMEnvironment",
                                                  .product(name: "SystemPackage", package: "swift-system")]),
        // The host-guest protocol: checksummed frames that survive a serial console.
        .target(name: "AgentProtocol", dependencies: ["IsoprobeCore", .product(name: "SystemPackage", package: "swift-system")]),
        .executableTarget(name: "isoprobe", dependencies: [
            "Agent", "AgentProtocol", "Analysis", "Container", "Diagnostics", "Environments", "Harness", "History", "Host",
            "IsoprobeCore", "KVM", "OCI", "Probes", "Reports", "Suite", "VMEnvironment", "Verify", "HostPaths",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // Fuzz targets (Fuzz/): each hands its input to one reader of untrusted bytes. `make
        // fuzz` builds them with libFuzzer (-DFUZZING -sanitize=fuzzer,address); built as here
        // they replay saved inputs, and FuzzTests replays fixtures/fuzz through them.
        .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzReplay", dependencies: ["CLibFuzzer", "IsoprobeCore"], path: "Fuzz/FuzzReplay"),
        .target(name: "FuzzAgentSamples", dependencies: ["AgentProtocol", "IsoprobeCore"], path: "Fuzz/FuzzAgentSamples"),
        .executableTarget(name: "FuzzSuite", dependencies: ["FuzzReplay", "Suite"], path: "Fuzz/FuzzSuite"),
        .executableTarget(name: "FuzzOCIConfig", dependencies: ["FuzzReplay", "OCI"], path: "Fuzz/FuzzOCIConfig"),
        .executableTarget(name: "FuzzWorkloadSpec", dependencies: ["FuzzReplay", "IsoprobeCore"], path: "Fuzz/FuzzWorkloadSpec"),
        .executableTarget(name: "FuzzAgentFrames", dependencies: ["AgentProtocol", "FuzzAgentSamples", "FuzzReplay"],
                          path: "Fuzz/FuzzAgentFrames"),
        .executableTarget(name: "FuzzAgentMessage", dependencies: ["AgentProtocol", "FuzzAgentSamples", "FuzzReplay"],
                          path: "Fuzz/FuzzAgentMessage"),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(name: "HostTests", dependencies: ["Host"]),
        .testTarget(name: "IsoprobeTests", dependencies: [
            "BPF", "Probes", "Environments", "Reports", "IsoprobeCore", "Harness", "Container", "OCI", "AgentProtocol",
            "KVM", "VM", "VMEnvironment", "Analysis", "Suite", "History", "Verify", "Neighbours", "Agent", "Diagnostics",
            "HostPaths",
        ]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "IsoprobeCore"]),
        .testTarget(name: "SuiteTests", dependencies: ["Suite", "IsoprobeCore"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Analysis", "IsoprobeCore"]),
        .testTarget(name: "HistoryTests", dependencies: ["History", "IsoprobeCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "GuestImageTests", dependencies: ["GuestImage"]),
        .testTarget(name: "VMTests", dependencies: ["VM", "GuestImage", "Host"]),
        .testTarget(name: "KVMTests", dependencies: ["KVM", "IsoprobeCore"]),
        .testTarget(name: "AgentProtocolTests", dependencies: ["AgentProtocol", "IsoprobeCore"]),
        // Runs the Fuzz* programs this build makes over fixtures/fuzz.
        .testTarget(name: "FuzzTests"),
    ],
    swiftLanguageModes: [.v5]
)
