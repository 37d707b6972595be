import Foundation
import IsoprobeCore
import OCI

/// Which checks a guest's profile requires, and what each should show.
public struct VerifyProfile: Sendable, Equatable {
    public var name: String
    public var expectations: [String: Expectation]
    /// Checks reported but never a breach (a container shares the host's kernel by design).
    public var informational: Set<String>
    /// For a control: the checks that must fail for the run to count.
    public var mustFail: Set<String>

    public init(name: String, expectations: [String: Expectation], informational: Set<String> = [],
                mustFail: Set<String> = []) {
        self.name = name
        self.expectations = expectations
        self.informational = informational
        self.mustFail = mustFail
    }

    public var isControl: Bool { !mustFail.isEmpty }

    public func expectation(_ id: String) -> Expectation { expectations[id] ?? Expectation(.either, "no rule") }

    /// A guest profile requires the boundaries it expects to hold; a control requires the
    /// checks it must fail.
    public func isRequired(_ id: String) -> Bool {
        if isControl { return mustFail.contains(id) }
        return expectation(id).outcome == .pass && !informational.contains(id)
    }

    /// The boundaries this profile holds: what `--policy hardened` requires when this is the
    /// hardened profile.
    public var held: Set<String> { Set(BoundaryCheck.all.map(\.id).filter { !isControl && isRequired($0) }) }

    /// The checks of verify's bridge (A, B and the host's address on one bridge).
    public static let bridgeChecks = ["net.bridge_reach_peer", "net.bridge_reach_host", "net.sniff_peer", "net.spoof_source"]

    /// The checks a weakened control must fail for the run to count: proof the checks can fail.
    public static let controlMustFail = ["proc.see_host", "proc.signal_host", "net.reach_host", "net.host_interfaces",
                                         "net.raw_socket", "priv.capabilities", "priv.seccomp"]

    /// The checker's observations judged against this profile, in `BoundaryCheck.all` order,
    /// the checks in `requiring` required (nil: what the profile itself requires).
    /// Every check must have been observed: a missing one is an error naming it.
    public func evaluate(_ observed: [ObservedCheck], requiring: Set<String>? = nil) throws -> [CheckResult] {
        let byID = Dictionary(observed.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return try BoundaryCheck.all.map { check in
            guard let seen = byID[check.id] else {
                throw IsoprobeError(.failed, "no verdict for '\(check.id)' in the checker's output",
                                    fix: "the checker stopped early; see its stderr")
            }
            let required = isControl ? isRequired(check.id) : requiring.map { $0.contains(check.id) } ?? isRequired(check.id)
            return CheckResult(check: check, observed: seen, expected: expectation(check.id), required: required)
        }
    }

    /// A QEMU guest: its own kernel, so what its root may do inside is the guest's business;
    /// what must hold is everything that would reach the host or the other guest.
    /// On verify's bridge the guest's root crafts and captures frames as it likes: what
    /// holds there is the bridge's doing, which binds each guest's port where nftables' bridge
    /// family exists (`kernel.bridgeFiltering`).
    public static func vm(kernel: KernelSettings? = nil) -> VerifyProfile {
        var e: [String: Expectation] = [:]
        for id in ["proc.see_host", "proc.signal_host", "proc.ptrace_host", "proc.see_peer", "proc.signal_peer",
                   "proc.ptrace_peer", "fs.read_host_file", "net.reach_host", "net.reach_peer", "net.host_interfaces",
                   "ipc.shm_host", "ipc.shm_peer", "ipc.abstract_host", "ipc.abstract_peer", "id.hostname",
                   "kernel.shared"] {
            e[id] = Expectation(.pass, "a guest runs its own kernel")
        }
        switch kernel?.bridgeFiltering {
        case true?:
            e["net.bridge_reach_peer"] = Expectation(.pass, "isoprobe binds each guest's bridge port: IPv4 to the peer only (nftables)")
            e["net.bridge_reach_host"] = e["net.bridge_reach_peer"]
            e["net.spoof_source"] = Expectation(.pass, "isoprobe binds each bridge port to its MAC and IPv4 address (nftables)")
            e["net.sniff_peer"] = Expectation(.pass, "a learning bridge sends B's frames to the peer's port alone, and bound ports cannot teach it otherwise")
        case false?:
            let plain = "a plain Linux bridge (no nftables bridge family), open by design"
            e["net.bridge_reach_peer"] = Expectation(.fail, plain + ": it forwards between all its ports")
            e["net.bridge_reach_host"] = e["net.bridge_reach_peer"]
            e["net.spoof_source"] = Expectation(.fail, plain + ": the guest's root crafts frames from any address")
            e["net.sniff_peer"] = Expectation(.either, "a learning bridge sends B's frames to the peer's port alone, but a port that may spoof can teach it otherwise")
        case nil:
            for id in bridgeChecks { e[id] = Expectation(.either, "whether the bridge filters is unknown") }
        }
        for c in BoundaryCheck.all where e[c.id] == nil {
            e[c.id] = Expectation(.either, "inside the guest's own kernel: the guest's root decides, not the host")
        }
        return VerifyProfile(name: "vm", expectations: e)
    }

    /// The hardened container isoprobe runs by default (`Spec.hardened`), judged by the same
    /// rules as any config. Every boundary is required except sharing the host's kernel, which
    /// a container does by design, and what the config itself leaves open (the hardened
    /// profile has no user namespace unless asked: its uid 0 is the host's, without capabilities).
    public static func containerDefault(userNamespace: Bool = false, kernel: KernelSettings? = nil) -> VerifyProfile {
        // Inputs that always validate: the profile depends on the security settings only.
        let spec = (try? Spec.hardened(rootfs: "rootfs", args: ["/boundaries"], userNamespace: userNamespace))
            ?? Spec()
        return container(spec, name: "container-default", kernel: kernel)
    }

    /// The deliberately weakened container: host pid and network namespaces, every
    /// capability, no seccomp. With its spec the other checks get the config's expectations;
    /// only the control set decides whether the run counts.
    public static func weakenedControl(_ spec: Spec? = nil, kernel: KernelSettings? = nil) -> VerifyProfile {
        var profile = spec.map { container($0, name: "weakened-control", kernel: kernel) }
            ?? VerifyProfile(name: "weakened-control", expectations: [:])
        for id in controlMustFail {
            profile.expectations[id] = Expectation(.fail, "the control shares this with the host on purpose")
        }
        profile.mustFail = Set(controlMustFail)
        return profile
    }
}
