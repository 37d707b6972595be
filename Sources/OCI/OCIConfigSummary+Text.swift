import Foundation

extension OCIConfigSummary: CustomStringConvertible {
    /// A few lines for a terminal, one per concern.
    public var lines: [String] {
        var lines: [String] = []

        var ns = "namespaces: private " + list(privateNamespaces.map(\.rawValue))
        ns += "; shared with host " + list(sharedNamespaces.map(\.rawValue))
        let joined = Linux.NamespaceType.allCases.compactMap { type -> String? in
            if case let .joined(path) = namespaces[type] { return "\(type.rawValue) (\(path))" }
            return nil
        }
        if !joined.isEmpty { ns += "; joined " + joined.joined(separator: ", ") }
        lines.append(ns)

        let root: String
        switch rootMapping {
        case .hostRoot: root = "container root is host root (no user namespace)"
        case let .mapped(uid, gid):
            root = "container root is host uid \(uid)" + (gid.map { " gid \($0)" } ?? " (gid 0 unmapped)")
        case .unmapped: root = "container uid 0 has no host mapping"
        case .unknown: root = "container root depends on the joined user namespace"
        }
        let hostUID = processHostUID.map { "host uid \($0)" } ?? "host uid unknown"
        lines.append("user: \(root); workload runs as uid \(processUID) gid \(processGID) (\(hostUID))")

        var caps = "capabilities after exec: " + list(capabilities.effectiveAfterExec.sorted())
        if capabilities.obtainable != capabilities.effectiveAfterExec {
            caps += "; obtainable " + list(capabilities.obtainable.sorted())
        }
        caps += "; dangerous " + list(capabilities.dangerous.sorted())
        lines.append(caps)

        lines.append("no_new_privs: \(noNewPrivileges ? "yes" : "no"); root filesystem: "
                     + (readonlyRoot ? "read-only" : "writable"))

        if let seccomp {
            var s = "seccomp: default \(seccomp.defaultAction.rawValue)"
            if let errno = seccomp.defaultErrno { s += " (errno \(errno))" }
            s += ", \(seccomp.ruleCount) rules (\(seccomp.conditionalRuleCount) with argument conditions)"
            s += " naming \(seccomp.syscallNameCount) syscalls"
            if !seccomp.architectures.isEmpty { s += ", " + seccomp.architectures.joined(separator: " ") }
            lines.append(s)
        } else {
            lines.append("seccomp: none (every syscall allowed)")
        }

        var cpu = "cpu unlimited"
        if let cpus = limits.cpus, let quota = limits.cpuQuota, let period = limits.cpuPeriod {
            cpu = "cpu \(String(format: "%g", cpus)) CPUs (\(quota)/\(period) us)"
        }
        if let cpuset = limits.cpuset { cpu += " on cpus \(cpuset)" }
        var memory = "memory unlimited"
        if let limit = limits.memoryLimit, limit > 0 {
            memory = "memory \(limit) bytes"
            if let swap = limits.swapBytes { memory += swap == 0 ? " (no swap)" : " (+\(swap) swap)" }
        }
        let pids = limits.pidsLimit.map { $0 > 0 ? "pids \($0)" : "pids unlimited" } ?? "pids unlimited"
        lines.append("limits: \(cpu), \(memory), \(pids)")

        lines.append("paths: \(maskedPathCount) masked, \(readonlyPathCount) read-only")
        return lines
    }

    public var description: String { lines.joined(separator: "\n") }

    private func list(_ items: [String]) -> String {
        items.isEmpty ? "none" : items.joined(separator: ", ")
    }
}
