import Foundation

extension Spec {
    /// Where a host path shows inside the container through the config's bind mounts, or nil
    /// when none exposes it. A later mount over the same place hides an earlier one; a bind
    /// that is not recursive (`bind`, not `rbind`) stops at the host's mount points below its
    /// source (`hostMountPoints`, from the host's mountinfo).
    public func containerPath(ofHostPath path: String, hostMountPoints: [String]) -> String? {
        var seen: String?
        for mount in mounts ?? [] {
            // A mount over where the path showed hides it, unless it shows it again.
            if let shown = seen, Self.path(shown, isUnder: mount.destination) { seen = nil }
            guard mount.isBind, let source = mount.source, source.hasPrefix("/"),
                  Self.path(path, isUnder: source) else { continue }
            let recursive = (mount.options ?? []).contains("rbind")
            let crossed = hostMountPoints.contains { point in
                point != source && Self.path(point, isUnder: source) && Self.path(path, isUnder: point)
            }
            guard recursive || !crossed else { continue }
            let rest = path.dropFirst(source == "/" ? 0 : source.count)
            seen = (mount.destination == "/" ? "" : mount.destination) + rest
        }
        return seen
    }

    /// path is dir or lies below it.
    static func path(_ path: String, isUnder dir: String) -> Bool {
        dir == "/" || path == dir || path.hasPrefix(dir.hasSuffix("/") ? dir : dir + "/")
    }
}

extension Mount {
    /// A bind mount of a host path (`type: bind`, or a `bind`/`rbind` option).
    public var isBind: Bool {
        type == "bind" || (options ?? []).contains { $0 == "bind" || $0 == "rbind" }
    }
}
