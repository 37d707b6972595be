import Foundation
import Host

/// The host's TSC frequency, for the guest's `tsc_early_khz=`. A TCG guest's TSC counts at
/// the host's rate; told the rate, the guest kernel skips calibrating it against the PIT,
/// which on a microvm under TCG hangs at random.
public struct HostTSC: Equatable, Sendable {
    public var kHz: Int
    /// Where the figure came from, for reports.
    public var source: String

    public init(kHz: Int, source: String) {
        self.kHz = kHz
        self.source = source
    }

    /// First of: `tsc_freq_khz` in sysfs (exact; only some kernels have it); `cpu MHz` in
    /// /proc/cpuinfo when no cpufreq driver changes it (then it is the kernel's TSC rate);
    /// cpufreq's `base_frequency` (the TSC rate on Intel); `cpu MHz` anyway.
    public static func find(sysfsCPU: String = "/sys/devices/system/cpu/cpu0",
                            cpuinfo: String = "/proc/cpuinfo") -> HostTSC? {
        if let text = try? String(contentsOfFile: sysfsCPU + "/tsc_freq_khz", encoding: .utf8),
           let kHz = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), kHz > 0 {
            return HostTSC(kHz: kHz, source: sysfsCPU + "/tsc_freq_khz")
        }
        let cpuMHz = ProcFS.cpuinfo(path: cpuinfo).flatMap(cpuMHzKHz)
        let hasCpufreq = FileManager.default.fileExists(atPath: sysfsCPU + "/cpufreq")
        if let cpuMHz, !hasCpufreq {
            return HostTSC(kHz: cpuMHz, source: cpuinfo + " (cpu MHz, no cpufreq)")
        }
        if let text = try? String(contentsOfFile: sysfsCPU + "/cpufreq/base_frequency", encoding: .utf8),
           let kHz = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), kHz > 0 {
            return HostTSC(kHz: kHz, source: sysfsCPU + "/cpufreq/base_frequency")
        }
        return cpuMHz.map { HostTSC(kHz: $0, source: cpuinfo + " (cpu MHz, may follow cpufreq)") }
    }

    /// The first processor's `cpu MHz : 2596.146` as kHz.
    static func cpuMHzKHz(_ cpuinfo: String) -> Int? {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("cpu MHz") {
            guard let value = line.split(separator: ":", maxSplits: 1).last.map({ $0.trimmingCharacters(in: .whitespaces) }),
                  let mhz = Double(value), mhz > 0 else { return nil }
            return Int((mhz * 1000).rounded())
        }
        return nil
    }
}
