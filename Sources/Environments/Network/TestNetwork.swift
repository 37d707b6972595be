import CShim
import Foundation
import Host
import IsoprobeCore

/// The network a plan's network workloads run over, made for the plan and the only owner of
/// everything in it: a peer namespace holding the servers, and a bridge in a switch
/// namespace of its own (never the host's) with the peer's veth on it. Each environment
/// attaches once: native through a veth whose other end stays in the host's namespace, a
/// container through a veth from a namespace of its own, a guest through a tap.
///
/// Each plan takes its own /24 of the benchmarking range 198.18.0.0/15 (RFC 2544) and its own
/// names (`isoprobe<n>...`, at most 15 characters), chosen under a lock so that concurrent
/// runs never collide. Every interface has IPv6 off (nothing is sent to ff02::) and
/// forwarding off; no route but each /24's own, no NAT: traffic stays between the
/// namespaces and devices made here. Each namespace and host interface is in the resource
/// ledger before it exists, so what a killed isoprobe left is swept.
public final class TestNetwork: @unchecked Sendable {
    /// The /24 this plan holds: 0 to 511.
    public let subnet: Int
    public let switchNamespace: String
    public let peerNamespace: String
    public let bridge: String
    public var peerAddress: String { address(1) }

    private let lock = NSLock()
    private var held: [ResourceLedger.Token] = []
    /// Namespaces and host interfaces, newest last.
    private var namespaces: [String] = []
    private var hostInterfaces: [String] = []
    private var hostPath: NetworkPath?
    private var closed = false
    /// Each guest's bridge port is bound to its MAC and address (`bindPorts()`).
    public internal(set) var bindsPorts = false

    /// The port the peer's server listens on (fixtures/workloads/net.h's NET_PORT).
    public static let serverPort = 7000
    public static let mtu = 1500

    /// Addresses on the path: the peer .1, the host's veth .2, a container .3, a guest .4
    /// (verify's guest B takes .5).
    public func address(_ host: Int) -> String {
        "198.\(18 + subnet / 256).\(subnet % 256).\(host)"
    }

    public func cidr(_ host: Int) -> String { address(host) + "/24" }

    /// The MAC address of host number `host` on this plan's bridge: locally administered,
    /// fixed, so that a port can be bound to it before the port exists.
    public func mac(_ host: Int) -> String {
        String(format: "02:18:%02x:%02x:00:%02x", subnet >> 8, subnet & 0xff, host & 0xff)
    }

    /// An interface name of this plan: `isoprobe<subnet><role>`.
    public func interfaceName(_ role: String) -> String {
        let name = NetworkNames.prefix + String(subnet) + role
        precondition(name.utf8.count <= NetworkNames.interfaceNameLimit, "interface name \(name) is too long")
        return name
    }

    func namespaceName(_ role: String) -> String { "\(NetworkNames.prefix)-\(subnet)-\(role)" }

    private init(subnet: Int) {
        self.subnet = subnet
        switchNamespace = "\(NetworkNames.prefix)-\(subnet)-switch"
        peerNamespace = "\(NetworkNames.prefix)-\(subnet)-peer"
        bridge = NetworkNames.prefix + String(subnet) + "br"
    }

    /// Takes a free /24 under the lock and builds the switch and the peer. On any failure
    /// everything made so far is removed.
    public static func create() throws -> TestNetwork {
        try requireSupport()
        // One lock for the machine, whatever state folder a run keeps: the namespaces are the machine's.
        let lockPath = access("/run/lock", W_OK) == 0 ? "/run/lock/isoprobe-network.lock" : ResourceLedger.stateDirectory + "/network.lock"
        try? FileManager.default.createDirectory(atPath: ResourceLedger.stateDirectory, withIntermediateDirectories: true)
        let lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else {
            throw IsoprobeError(.failed, "cannot open \(lockPath)", cause: ErrorWords.of(errno: errno))
        }
        defer { Glibc.close(lockFD) }
        _ = retryingOnInterrupt { flock(lockFD, LOCK_EX) }
        defer { flock(lockFD, LOCK_UN) }

        let taken = addressesInUse()
        guard let subnet = (0..<512).first(where: { n in
            !["switch", "peer"].contains { NetworkNames.namespaceExists("\(NetworkNames.prefix)-\(n)-\($0)") } && !taken.contains(n)
        }) else {
            throw IsoprobeError(.failed, "every /24 of 198.18.0.0/15 is in use by other isoprobe runs",
                                fix: "`isoprobe cleanup` removes what killed runs left")
        }
        let network = TestNetwork(subnet: subnet)
        do {
            try network.buildSwitchAndPeer()
        } catch {
            network.close()
            throw error
        }
        return network
    }

    /// /24s of 198.18.0.0/15 that an address in the host's namespace already uses (someone
    /// else's benchmark): never taken.
    static func addressesInUse() -> Set<Int> {
        guard let text = try? NetworkNames.ip(["-o", "-4", "addr", "show"]) else { return [] }
        var out: Set<Int> = []
        for match in text.matches(of: #/inet 198\.(18|19)\.(\d+)\./#) {
            if let hi = Int(match.1), let lo = Int(match.2) { out.insert((hi - 18) * 256 + lo) }
        }
        return out
    }

    /// iproute2, which makes the path: missing, it is said before anything is made (a
    /// kernel without veth or bridges fails the first `ip link add`, in ip's words; a guest
    /// without /dev/net/tun fails at its tap).
    static func requireSupport() throws {
        guard HostTool.find("ip") != nil else {
            throw IsoprobeError(.missing, "ip (iproute2) not found: network workloads need it", fix: "apt-get install -y iproute2")
        }
    }

    private func record(_ holding: ResourceLedger.Holding) {
        lock.withLock { held.append(ResourceLedger.shared.record(holding)) }
    }

    /// A namespace of this plan with loopback up, IPv6 and forwarding off.
    private func makeNamespace(_ name: String) throws {
        // In the ledger before it exists; deleted on close only once it is ours (never
        // someone else's of the same name).
        let token = ResourceLedger.shared.record(.networkNamespace(name: name))
        do {
            try NetworkNames.ip(["netns", "add", name])
        } catch {
            ResourceLedger.shared.release(token)
            throw error
        }
        lock.withLock {
            held.append(token)
            namespaces.append(name)
        }
        try NetworkNames.ip(["-n", name, "link", "set", "lo", "up"])
        try Self.quiet(namespace: name, interfaces: ["all", "default"])
    }

    /// IPv6 off and forwarding off, for the namespace's interfaces (`all`, `default`) or
    /// named ones, written under /proc/sys as the namespace sees it.
    static func quiet(namespace: String?, interfaces: [String]) throws {
        var writes: [String] = []
        for name in interfaces {
            writes.append("echo 1 > /proc/sys/net/ipv6/conf/\(name)/disable_ipv6")
            writes.append("echo 0 > /proc/sys/net/ipv4/conf/\(name)/forwarding")
        }
        if namespace != nil && interfaces.contains("all") { writes.append("echo 0 > /proc/sys/net/ipv4/ip_forward") }
        let script = writes.joined(separator: " && ")
        if let namespace {
            try NetworkNames.ip(["netns", "exec", namespace, "/bin/sh", "-c", script])
        } else {
            for name in interfaces {
                try Self.write("1", to: "/proc/sys/net/ipv6/conf/\(name)/disable_ipv6")
                try Self.write("0", to: "/proc/sys/net/ipv4/conf/\(name)/forwarding")
            }
        }
    }

    static func write(_ value: String, to path: String) throws {
        do {
            try value.write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw IsoprobeError(.failed, "cannot write \(path)", cause: "\(error)")
        }
    }

    private func buildSwitchAndPeer() throws {
        try makeNamespace(switchNamespace)
        try makeNamespace(peerNamespace)
        try NetworkNames.ip(["-n", switchNamespace, "link", "add", bridge, "mtu", String(Self.mtu), "type", "bridge",
                             "forward_delay", "0", "stp_state", "0"])
        try NetworkNames.ip(["-n", switchNamespace, "link", "set", bridge, "up"])
        let peer = interfaceName("p")
        try NetworkNames.ip(["-n", switchNamespace, "link", "add", peer + "b", "mtu", String(Self.mtu), "type", "veth",
                             "peer", "name", peer, "address", mac(1), "netns", peerNamespace])
        try NetworkNames.ip(["-n", switchNamespace, "link", "set", peer + "b", "master", bridge, "up"])
        try NetworkNames.ip(["-n", peerNamespace, "addr", "add", cidr(1), "dev", peer])
        try NetworkNames.ip(["-n", peerNamespace, "link", "set", peer, "up"])
    }

    /// A veth from the switch into the namespace at `namespaceTarget` (a name or a pid, as
    /// `ip link ... netns` takes it), its bridge end up on the bridge.
    private func plug(_ name: String, into namespaceTarget: String, host: Int) throws {
        try NetworkNames.ip(["-n", switchNamespace, "link", "add", name + "b", "mtu", String(Self.mtu), "type", "veth",
                             "peer", "name", name, "address", mac(host), "netns", namespaceTarget])
        try NetworkNames.ip(["-n", switchNamespace, "link", "set", name + "b", "master", bridge, "up"])
    }

    /// The native path: a veth whose end `isoprobe<n>h` stays in the host's namespace with
    /// the address .2. Made once; a container in the host's namespace shares it.
    public func attachHost() throws -> NetworkPath {
        if let hostPath { return hostPath }
        let name = interfaceName("h")
        record(.networkInterface(name: name))
        lock.withLock { hostInterfaces.append(name) }
        try plug(name, into: String(getpid()), host: 2)
        try Self.quiet(namespace: nil, interfaces: [name])
        try NetworkNames.ip(["addr", "add", cidr(2), "dev", name])
        try NetworkNames.ip(["link", "set", name, "up"])
        let path = NetworkPath(mode: NetworkMode.bridge.rawValue, device: "veth", interface: name, bridge: bridge,
                               switchNamespace: switchNamespace, address: address(2), peerAddress: peerAddress,
                               mtu: Self.mtu, offloads: Self.offloads(of: name, namespace: nil))
        hostPath = path
        return path
    }

    /// A container's path before its first run (its veth is made per run: `plug(process:host:)`).
    public func containerRoute(host: Int = TestNetwork.containerHost) -> NetworkPath {
        NetworkPath(mode: NetworkMode.bridge.rawValue, device: "veth", interface: interfaceName("c"), bridge: bridge,
                    switchNamespace: switchNamespace, address: address(host), peerAddress: peerAddress,
                    mtu: Self.mtu)
    }

    /// The container's host number on the /24 (.3).
    public static let containerHost = 3
    private var plugged = 0

    /// Host numbers environments attached to this network hold (`takeHost`).
    private var hostsTaken: Set<Int> = []
    /// Where a second environment of a kind starts (a noisy neighbour beside its victim,
    /// sharing the victim's bridge and peer).
    public static let firstSharedHost = 10

    /// A host number for an environment joining the network: `asked` itself when given
    /// (verify's guests A and B), else `preferred` (a container's .3, a guest's .4) while no
    /// other holds it, else the lowest free from .10. Given back with `releaseHost` when the
    /// environment is done.
    public func takeHost(_ asked: Int?, preferred: Int) throws -> Int {
        try lock.withLock {
            if let asked {
                guard !hostsTaken.contains(asked) else { throw IsoprobeError(.failed, "\(address(asked)) is already taken on \(cidr(0))") }
                hostsTaken.insert(asked)
                return asked
            }
            guard let n = ([preferred] + Array(Self.firstSharedHost...254)).first(where: { !hostsTaken.contains($0) }) else {
                throw IsoprobeError(.failed, "every address of \(cidr(0)) is taken by environments on the network")
            }
            hostsTaken.insert(n)
            return n
        }
    }

    public func releaseHost(_ n: Int) {
        lock.withLock { _ = hostsTaken.remove(n) }
    }

    /// A veth from the bridge into the network namespace of `pid` (a container's first
    /// process, its namespace made by the runtime, as Docker's bridge driver does), the end
    /// inside with the address `.host` (.3 unless another container holds it), its MAC
    /// `mac(host)`, IPv6 and forwarding off, its bridge port bound to both where the network
    /// binds ports. The pair goes with the namespace when the container ends; names are
    /// fresh each time, since the kernel removes a dead namespace's devices a moment later.
    public func plug(process pid: pid_t, host: Int = TestNetwork.containerHost) throws -> NetworkPath {
        let n = lock.withLock { () -> Int in
            plugged += 1
            return plugged % 1000
        }
        let inside = interfaceName("c\(n)"), outside = interfaceName("s\(n)")
        guard let nsenter = HostTool.find("nsenter") else {
            throw IsoprobeError(.missing, "nsenter not found: a container's network is set up with it", fix: "apt-get install -y util-linux")
        }
        let enter = [nsenter, "--net=/proc/\(pid)/ns/net"]
        try NetworkNames.ip(["-n", switchNamespace, "link", "add", outside, "mtu", String(Self.mtu), "type", "veth",
                             "peer", "name", inside, "address", mac(host), "netns", String(pid)])
        // Bound before the port is up: no frame of its passes unchecked.
        try bindPortIfAsked(outside, host: host)
        try NetworkNames.ip(["-n", switchNamespace, "link", "set", outside, "master", bridge, "up"])
        try Self.run(enter + ["/bin/sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/\(inside)/disable_ipv6 && "
                               + "echo 0 > /proc/sys/net/ipv4/conf/\(inside)/forwarding && "
                               + "echo 0 > /proc/sys/net/ipv4/ip_forward"])
        guard let ip = HostTool.find("ip") else { throw IsoprobeError(.missing, "ip (iproute2) not found", fix: "apt-get install -y iproute2") }
        try Self.run(enter + [ip, "addr", "add", cidr(host), "dev", inside])
        try Self.run(enter + [ip, "link", "set", inside, "up"])
        var route = containerRoute(host: host)
        route.interface = inside
        route.offloads = offloadsCache ?? Self.offloads(of: inside, enter: enter)
        offloadsCache = route.offloads
        return route
    }

    private var offloadsCache: [String: Bool]?

    static func run(_ argv: [String]) throws {
        let result = try HelperCommand.run(argv, timeout: 30)
        guard result.succeeded else {
            throw IsoprobeError(.failed, "\(argv.joined(separator: " ")) failed",
                                cause: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// A guest's tap on the bridge: the descriptor QEMU is handed (the caller closes its
    /// copy once QEMU runs; the tap goes when the last copy closes). The guest's address is
    /// `.host` (.4 unless another guest holds it; each guest's tap is named by it, and its
    /// card's MAC is `mac(host)`), its port bound to both where the network binds ports.
    public func attachTap(host: Int = TestNetwork.guestHost) throws -> (fd: Int32, route: NetworkPath) {
        let name = tapName(host: host)
        let opened = isoprobe_tap_open(NetworkNames.namespaceDirectory + "/" + switchNamespace, name)
        // Numbered above the descriptors QEMU is handed, so no copy overwrites it.
        let fd = opened >= 0 ? fcntl(opened, F_DUPFD_CLOEXEC, 10) : -1
        if opened >= 0 { Glibc.close(opened) }
        guard fd >= 0 else {
            throw IsoprobeError(.missing, "cannot make the guest's tap device \(name)", fix: "modprobe tun (/dev/net/tun)",
                                cause: ErrorWords.of(errno: errno))
        }
        do {
            try Self.quiet(namespace: switchNamespace, interfaces: [name])
            try bindPortIfAsked(name, host: host)
            try NetworkNames.ip(["-n", switchNamespace, "link", "set", name, "mtu", String(Self.mtu), "master", bridge, "up"])
        } catch {
            Glibc.close(fd)
            throw error
        }
        var route = tapRoute(host: host)
        route.offloads = Self.offloads(of: name, namespace: switchNamespace)
        return (fd, route)
    }

    /// The guest's host number on the /24 (.4).
    public static let guestHost = 4

    /// A guest's path before its tap exists (its offloads are known once it does).
    public func tapRoute(host: Int = TestNetwork.guestHost) -> NetworkPath {
        NetworkPath(mode: NetworkMode.bridge.rawValue, device: "tap", interface: tapName(host: host), bridge: bridge,
                    switchNamespace: switchNamespace, address: address(host), peerAddress: peerAddress,
                    mtu: Self.mtu, vhost: Self.vhostNet)
    }

    /// `isoprobe<n>t` for the first guest, `isoprobe<n>t<host>` for another beside it.
    func tapName(host: Int) -> String { interfaceName(host == Self.guestHost ? "t" : "t\(host)") }

    /// The peer's interface counters (bytes received, bytes sent): every byte a run sends
    /// to the peer, or gets from it, passes there, whichever environment runs.
    public func peerCounters() -> (received: UInt64, sent: UInt64)? {
        guard let text = try? NetworkNames.ip(["-n", peerNamespace, "-s", "-j", "link", "show", interfaceName("p")]),
              let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]],
              let stats = list.first?["stats64"] as? [String: Any],
              let rx = (stats["rx"] as? [String: Any])?["bytes"] as? NSNumber,
              let tx = (stats["tx"] as? [String: Any])?["bytes"] as? NSNumber else { return nil }
        return (rx.uint64Value, tx.uint64Value)
    }

    /// vhost-net serves a guest's queues where the host kernel offers it.
    public static var vhostNet: Bool { access("/dev/vhost-net", R_OK | W_OK) == 0 }

    /// The offloads `ethtool -k` reports for the device; empty without ethtool.
    static func offloads(of interface: String, namespace: String?) -> [String: Bool] {
        offloads(of: interface, enter: namespace.map { [HostTool.find("ip") ?? "ip", "netns", "exec", $0] } ?? [])
    }

    /// The same, with ethtool run after `enter` (a command that runs another in a namespace).
    static func offloads(of interface: String, enter: [String]) -> [String: Bool] {
        guard let ethtool = HostTool.find("ethtool"),
              let data = HostTool.output(enter + [ethtool, "-k", interface], timeout: 10) else { return [:] }
        let text = String(decoding: data, as: UTF8.self)
        var out: [String: Bool] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("\t") && !line.hasPrefix(" ") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, PathReport.offloadNames.contains(parts[0]) else { continue }
            out[parts[0]] = parts[1].hasPrefix("on")
        }
        return out
    }

    /// Kills nothing (the servers are their owners'), deletes every namespace and host
    /// interface, newest first; idempotent.
    public func close() {
        let (interfaces, spaces, tokens): ([String], [String], [ResourceLedger.Token]) = lock.withLock {
            if closed { return ([], [], []) }
            closed = true
            defer { hostInterfaces = []; namespaces = []; held = [] }
            return (hostInterfaces, namespaces, held)
        }
        for name in interfaces.reversed() { NetworkNames.deleteInterface(name) }
        for name in spaces.reversed() { NetworkNames.deleteNamespace(name) }
        tokens.reversed().forEach(ResourceLedger.shared.release)
    }
}

/// What the report says of a path.
enum PathReport {
    static let offloadNames: Set<String> = ["tx-checksumming", "rx-checksumming", "scatter-gather",
                                            "tcp-segmentation-offload", "generic-segmentation-offload",
                                            "generic-receive-offload"]
}
