import IsoprobeCore

/// The host's facts as every report shows them: each once. A guest run records QEMU as its
/// runtime as well as in `qemuVersion`; the reports name it once, as QEMU.
public enum HostSummary {
    /// The machine: host, kernel, CPU, cgroup layout, clocksource.
    public static func machine(_ h: HostFacts) -> [(String, String)] {
        [("host", h.hostname), ("kernel", h.kernel), ("CPU", "\(h.cpus) × \(h.cpuModel)"),
         ("cgroup layout", h.cgroupLayout), ("clocksource", h.clocksource)]
    }

    /// The environments' software: the OCI runtimes by name, QEMU, and the guests' accelerator.
    public static func environments(_ h: HostFacts) -> [(String, String)] {
        var runtimes = h.runtimeVersions ?? [:]
        let qemu = h.qemuVersion ?? runtimes["qemu"]
        runtimes["qemu"] = nil
        var out = runtimes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let qemu { out.append(("QEMU", qemu)) }
        if let a = h.accelerator { out.append(("guest accelerator", a + (a == "tcg" ? " (emulated: not KVM's overhead)" : ""))) }
        return out
    }

    /// The environments' facts in one line of prose: "runc version 1.1.5; QEMU emulator
    /// version 7.2; guests under tcg (emulated: not KVM's overhead)".
    public static func environmentsLine(_ h: HostFacts) -> String? {
        let parts = environments(h).map { name, value -> String in
            if name == "guest accelerator" { return "guests under " + value }
            // A version line that names its program ("runc version 1.1.5") is shown as it is.
            return value.lowercased().hasPrefix(name.lowercased()) ? value : "\(name) \(value)"
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
