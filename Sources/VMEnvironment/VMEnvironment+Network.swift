import Environments
import GuestImage
import IsoprobeCore
import VM

/// A guest reaches the peer through a virtio-net card on a tap that isoprobe makes on its
/// bridge for each boot and hands to QEMU as a descriptor; the guest's /init loads the
/// card's modules and gives it its address.
extension VMEnvironment: NetworkAttachable {
    public func attach(to network: TestNetwork) throws {
        try attach(to: network, host: nil)
    }

    /// Joins `network` as host number `host` of its /24 (verify's guests A and B share one
    /// network, each with its own tap and address), or, with nil, as .4 unless another
    /// guest holds it (a neighbour beside its victim).
    public func attach(to network: TestNetwork, host: Int?) throws {
        guestHost = try network.takeHost(host, preferred: TestNetwork.guestHost)
        self.network = network
        networkPath = network.tapRoute(host: guestHost)
    }

    public func detach() {
        network?.releaseHost(guestHost)
        network = nil
    }

    /// Where the card's modules go in the guest's root, apart from the scratch disk's.
    static let networkModulesDirectory = "/lib/modules/isoprobe-net"

    /// The card's modules into the root, and the /init lines that bring it up.
    func networkScript(root: inout FileSet, network: TestNetwork) throws -> String {
        let modules = try GuestModules.resolve(GuestNetworkCard.modules, for: kernel)
        if !modules.modules.isEmpty {
            try? root.addDirectory(at: "/lib/modules")
            try root.addDirectory(at: Self.networkModulesDirectory)
            for (i, module) in modules.modules.enumerated() {
                try root.addFile(at: Self.networkModulesDirectory + "/" + String(format: "%02d-", i) + module.name + ".ko",
                                 contents: module.contents)
            }
        }
        let card = GuestNetworkCard(tapFD: -1, vhost: TestNetwork.vhostNet, mac: network.mac(guestHost),
                                    guestAddress: network.cidr(guestHost))
        return card.initScript(modulesDirectory: Self.networkModulesDirectory)
    }

    /// A fresh tap for this boot, on the configuration; the caller closes the returned
    /// descriptor once QEMU holds its copy.
    func addNetworkCard(to configuration: inout GuestBoot.Configuration, network: TestNetwork) throws -> Int32 {
        let (fd, route) = try network.attachTap(host: guestHost)
        networkPath = route
        configuration.network = GuestNetworkCard(tapFD: fd, vhost: route.vhost ?? false, mac: network.mac(guestHost),
                                                 guestAddress: network.cidr(guestHost))
        return fd
    }
}
