import Foundation
import Environments
import Host

/// The host settings that decide some checks where a config cannot: nil fields are unknown,
/// and their checks are then expected `either`.
public struct KernelSettings: Sendable, Equatable {
    /// kernel.perf_event_paranoid: up to 2 lets anyone count its own user-space events;
    /// Debian's 3 refuses perf_event_open without CAP_PERFMON.
    public var perfEventParanoid: Int?
    /// kernel.unprivileged_bpf_disabled: 0 lets anyone create a map.
    public var unprivilegedBPFDisabled: Int?
    /// vm.unprivileged_userfaultfd: 1 lets anyone create a userfaultfd.
    public var unprivilegedUserfaultfd: Int?
    /// kernel.yama.ptrace_scope: 3 refuses every ptrace, PTRACE_TRACEME included.
    public var yamaPtraceScope: Int?
    /// Whether verify's bridge can bind each guest's port to its MAC and address (nftables'
    /// bridge family); a plain bridge lets a port spoof and reach every other port.
    public var bridgeFiltering: Bool?

    public init(perfEventParanoid: Int? = nil, unprivilegedBPFDisabled: Int? = nil,
                unprivilegedUserfaultfd: Int? = nil, yamaPtraceScope: Int? = nil, bridgeFiltering: Bool? = nil) {
        self.perfEventParanoid = perfEventParanoid
        self.unprivilegedBPFDisabled = unprivilegedBPFDisabled
        self.unprivilegedUserfaultfd = unprivilegedUserfaultfd
        self.yamaPtraceScope = yamaPtraceScope
        self.bridgeFiltering = bridgeFiltering
    }

    /// This host's settings, read from /proc/sys.
    public static func current() -> KernelSettings {
        func read(_ path: String) -> Int? {
            ProcFS.sys(path).flatMap { Int($0) }
        }
        return KernelSettings(perfEventParanoid: read("kernel/perf_event_paranoid"),
                              unprivilegedBPFDisabled: read("kernel/unprivileged_bpf_disabled"),
                              unprivilegedUserfaultfd: read("vm/unprivileged_userfaultfd"),
                              yamaPtraceScope: read("kernel/yama/ptrace_scope"),
                              bridgeFiltering: TestNetwork.bridgeFiltering.available)
    }
}
