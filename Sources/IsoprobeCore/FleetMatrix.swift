import Foundation
import IsoprobeCore

/// One workload's ratio to native across hosts and kernels: per session, the median of the
/// primary metric (ns per op for fixtures, wall time for commands) in the environment over
/// its median natively; per host label and kernel, the geometric mean of those sessions'
/// ratios, their range and how many there were. Sessions of different hosts cannot be
/// paired round by round, so no interval is claimed across them.
public struct FleetMatrix: Sendable {
    public struct Cell: Sendable, Equatable {
        public var ratio: Double
        public var low: Double
        public var high: Double
        public var sessions: Int
    }

    public var workload: String
    public var environment: String
    /// The primary metric's name (MetricDefinition), nil when no session had the workload.
    public var metric: String?
    public var hosts: [String]
    public var kernels: [String]
    /// By host, then kernel; nil where that host never ran that kernel with both environments.
    public var cells: [String: [String: Cell]]

    /// One session's measured runs, with where it ran.
    public struct Source: Sendable {
        public var host: String
        public var kernel: String
        public var runs: [RunResult]

        public init(host: String, kernel: String, runs: [RunResult]) {
            self.host = host
            self.kernel = kernel
            self.runs = runs
        }
    }

    public init(workload: String, environment: String, sessions: [Source]) {
        self.workload = workload
        self.environment = environment
        let mine = sessions.map { s in Source(host: s.host, kernel: s.kernel, runs: s.runs.filter { $0.workload.spec == workload }) }
        let native = mine.flatMap(\.runs).filter { $0.environment == EnvironmentKind.native.rawValue }
        metric = MetricDefinition.primary(among: MetricDefinition.all.filter { d in native.contains { d.value($0) != nil } }.map(\.name))
        var ratios: [String: [String: [Double]]] = [:]
        if let name = metric, let definition = MetricDefinition.all.first(where: { $0.name == name }) {
            for s in mine {
                let values = { (env: String) in s.runs.filter { $0.environment == env }.compactMap(definition.value) }
                guard let base = Statistics.median(values(EnvironmentKind.native.rawValue)), base > 0,
                      let other = Statistics.median(values(environment)), other > 0 else { continue }
                ratios[s.host, default: [:]][s.kernel, default: []].append(other / base)
            }
        }
        hosts = ratios.keys.sorted()
        kernels = Set(ratios.values.flatMap(\.keys)).sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        cells = ratios.mapValues { byKernel in
            byKernel.mapValues { r in
                Cell(ratio: exp(r.map(log).reduce(0, +) / Double(r.count)), low: r.min()!, high: r.max()!, sessions: r.count)
            }
        }
    }
}
