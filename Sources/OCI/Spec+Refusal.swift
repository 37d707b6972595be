import Foundation
import IsoprobeCore

extension Spec {
    /// What a runtime would refuse in this config, found before one is started: the first
    /// problem as one line naming the field, why, and what to change; nil when none is known.
    /// `grantable` is the capability bounding set of the process that starts the runtime
    /// (nil: unknown); `exists` tells whether a namespace path is there (one this process may
    /// not look at, another's /proc/PID/ns, is taken to be).
    public func refusal(grantable: Set<String>?,
                        exists: (String) -> Bool = { access($0, F_OK) == 0 || errno != ENOENT }) -> OCIConfigError? {
        let linux = linux ?? Linux()
        func has(_ type: Linux.NamespaceType) -> Bool { linux.namespace(type) != nil }
        func add(_ type: Linux.NamespaceType) -> String { "add {\"type\":\"\(type.rawValue)\"} to linux.namespaces" }

        for (field, value) in [("hostname", hostname), ("domainname", domainname)] where !(value ?? "").isEmpty && !has(.uts) {
            return OCIConfigError(field, "the config sets \(field) but has no uts namespace: \(add(.uts)) or remove \(field)")
        }
        if let user = linux.namespace(.user), user.path == nil {
            for (field, mappings) in [("linux.uidMappings", linux.uidMappings), ("linux.gidMappings", linux.gidMappings)]
            where (mappings ?? []).isEmpty {
                return OCIConfigError(field, "the config has a user namespace but no mapping: map the container's ids, "
                    + "e.g. [{\"containerID\":0,\"hostID\":100000,\"size\":65536}], or remove the user namespace")
            }
        }
        // runc takes one without masked or read-only paths, and then mounts /proc, /dev and
        // the rest in the host's mount namespace, where they outlive the container.
        if !has(.mount) {
            return OCIConfigError("linux.namespaces", "the config has no mount namespace, so the container's mounts would be made "
                + "in the host's and outlive it: \(add(.mount))")
        }
        for key in (linux.sysctl ?? [:]).keys.sorted() {
            guard let type = Self.sysctlNamespace(key), !has(type) else { continue }
            return OCIConfigError("linux.sysctl", "\(key) belongs to the \(type.rawValue) namespace, which the config shares "
                + "with the host: \(add(type)) or remove \(key)")
        }
        for (i, ns) in (linux.namespaces ?? []).enumerated() {
            if let path = ns.path, !exists(path) {
                return OCIConfigError("linux.namespaces[\(i)].path", "\(path) does not exist: the \(ns.type.rawValue) namespace to join is gone")
            }
        }
        if let grantable, let caps = process?.capabilities {
            // A runtime drops what is not in the bounding set, but cannot add to the others
            // beyond its own; ambient capabilities it cannot raise are left out.
            for (set, names) in [("effective", caps.effective), ("permitted", caps.permitted), ("inheritable", caps.inheritable)] {
                // Names the kernel does not know are the runtime's to ignore (runc warns).
                let missing = (names ?? []).filter { !grantable.contains($0) && CapabilityNames.all.contains($0) }
                guard !missing.isEmpty else { continue }
                return OCIConfigError("process.capabilities.\(set)", "\(missing.joined(separator: ", ")) "
                    + (missing.count == 1 ? "is" : "are") + " outside this host's capability bounding set (CapBnd), "
                    + "so the runtime cannot grant " + (missing.count == 1 ? "it" : "them") + ": remove "
                    + (missing.count == 1 ? "it" : "them") + " from the config")
            }
        }
        return nil
    }

    /// The namespace a sysctl belongs to, as runc's validator has it; nil for a system-wide one.
    static func sysctlNamespace(_ key: String) -> Linux.NamespaceType? {
        if key.hasPrefix("net.") { return .network }
        if ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
            "kernel.shmmni", "kernel.shm_rmid_forced"].contains(key) || key.hasPrefix("fs.mqueue.") { return .ipc }
        if key == "kernel.hostname" || key == "kernel.domainname" { return .uts }
        return nil
    }
}
