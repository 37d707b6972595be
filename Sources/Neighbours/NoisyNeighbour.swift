import Environments
import Foundation
import IsoprobeCore
import OCI

/// A workload run in a second guest beside the victim, with the limits it is expected to stay in.
public enum NoisyNeighbour: String, Codable, Sendable, CaseIterable {
    case cpuHog = "cpu_hog"
    case memoryHog = "memory_hog"
    case forkBomb = "fork_bomb"
    case fileIO = "file_io"
    /// Network transmit and receive: a TCP stream from the neighbour to the peer, or from
    /// the peer to it, over the victim's bridge (the isolation benchmark suite's two network
    /// stressors). Its server in the peer is its own, on `networkPort`.
    case networkTransmit = "net_tx"
    case networkReceive = "net_rx"

    /// The neighbours that load the machine's CPU, memory, processes and files: the default.
    public static let machine: [NoisyNeighbour] = [.cpuHog, .memoryHog, .forkBomb, .fileIO]
    /// The neighbours that load the network path (beside a network victim: tcp-rr, tcp-stream).
    public static let network: [NoisyNeighbour] = [.networkTransmit, .networkReceive]

    public var isNetwork: Bool { Self.network.contains(self) }

    /// The port of a network neighbour's server in the peer, beside the victim's on
    /// `TestNetwork.serverPort`: each server's account is its own client's alone.
    public static let networkPort = TestNetwork.serverPort + 1

    /// Sizes and limits of the neighbours; the defaults keep every one inside its limit
    /// except the fork bomb, whose point is to be refused.
    public struct Settings: Sendable, Equatable {
        /// Processes of the CPU hog: one per host CPU saturates the machine.
        public var cpuWorkers: Int
        /// Pins the CPU hog to one CPU (pin the victim to the same one with `compute cpu=K`):
        /// a contention that other load on the machine cannot dilute.
        public var cpuPin: Int?
        public var memoryMiB: Int
        public var memoryLimitBytes: Int64
        public var forks: Int
        public var pidsLimit: Int64
        public var fileWriteBytes: Int
        /// The network stressors' write (transmit) or read (receive) size.
        public var streamWriteBytes: Int

        public init(cpuWorkers: Int = PerformanceIsolation.onlineCPUs, memoryMiB: Int = 192,
                    memoryLimitBytes: Int64 = 256 << 20, forks: Int = 256, pidsLimit: Int64 = 32,
                    fileWriteBytes: Int = 65536, cpuPin: Int? = nil, streamWriteBytes: Int = 65536) {
            self.streamWriteBytes = streamWriteBytes
            self.cpuWorkers = cpuWorkers
            self.cpuPin = cpuPin
            self.memoryMiB = memoryMiB
            self.memoryLimitBytes = memoryLimitBytes
            self.forks = forks
            self.pidsLimit = pidsLimit
            self.fileWriteBytes = fileWriteBytes
        }
    }

    /// The fixture that makes the noise, running (or holding what it took) for `durationMs`.
    public func spec(_ settings: Settings, durationMs: Int) -> WorkloadSpec {
        let d = String(durationMs)
        switch self {
        case .cpuHog:
            let pin = settings.cpuPin.map { [("cpu", String($0))] } ?? []
            // duration_ms last: the argument the neighbour is found by.
            return WorkloadSpec(name: "compute", parameters: [("iterations", "1000000"), ("workers", String(settings.cpuWorkers))]
                                + pin + [("duration_ms", d)])
        case .memoryHog:
            return WorkloadSpec(name: "memhog", parameters: [("mib", String(settings.memoryMiB)), ("hold_ms", d)])
        case .forkBomb:
            return WorkloadSpec(name: "forkbomb", parameters: [("count", String(settings.forks)), ("hold_ms", d)])
        case .fileIO:
            return WorkloadSpec(name: "fileio", parameters: [("count", "64"), ("size", String(settings.fileWriteBytes)),
                                                             ("duration_ms", d)])
        case .networkTransmit, .networkReceive:
            return WorkloadSpec(name: NetworkWorkload.tcpStream.rawValue,
                                parameters: [("size", String(settings.streamWriteBytes)),
                                             ("direction", self == .networkTransmit ? "tx" : "rx"),
                                             ("port", String(Self.networkPort)), ("duration_ms", d)])
        }
    }

    /// The container limits the neighbour runs under (a guest's limit is its own memory).
    public func limits(_ settings: Settings) -> ResourceLimits {
        switch self {
        case .cpuHog, .fileIO, .networkTransmit, .networkReceive: return .none
        case .memoryHog: return ResourceLimits(memoryBytes: settings.memoryLimitBytes)
        case .forkBomb: return ResourceLimits(pids: settings.pidsLimit)
        }
    }
}
