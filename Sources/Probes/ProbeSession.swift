import BPF
import CShim
import Foundation
import IsoprobeCore

/// The probes of one run. As a `RunObserver` it loads and attaches the chosen families
/// once the workload's cgroup exists, and detaches them when the workload exits;
/// `collect()` then reads what they counted, `close()` releases everything.
public final class ProbeSession: RunObserver {
    public struct Settings: Sendable {
        public var directory: String
        public var families: [ProbeFamily]
        /// Syscalls slower than this are sent as events (0: none).
        public var slowThresholdNs: UInt64

        public init(directory: String, families: [ProbeFamily] = ProbeFamily.allCases,
                    slowThresholdNs: UInt64 = 10_000_000) {
            self.directory = directory
            self.families = families
            self.slowThresholdNs = slowThresholdNs
        }
    }

    public let settings: Settings
    private var objects: [ProbeFamily: ProbeObject] = [:]
    private var statuses: [ProbeFamily: ProbeStatus] = [:]
    private var events: EventCollector?
    private var closed = false

    public init(settings: Settings) {
        self.settings = settings
    }

    deinit { close() }

    public func targetReady(_ target: CgroupTarget) throws {
        for family in settings.families {
            do {
                var constants: [String: UInt64] = [:]
                if family == .syscalls { constants["slow_threshold_ns"] = settings.slowThresholdNs }
                let probe = try ProbeObject(family: family, directory: settings.directory, target: target,
                                            constants: constants)
                objects[family] = probe
                try probe.load()
                try probe.attach()
                statuses[family] = ProbeStatus(family: family.rawValue, attached: true, mode: probe.modeDescription,
                                               detail: probe.notes.isEmpty ? nil : probe.notes.joined(separator: "; "))
                if family == .syscalls && settings.slowThresholdNs > 0 {
                    let collector = try EventCollector(map: probe.object.map(named: "events"))
                    collector.start()
                    events = collector
                }
            } catch let error as BPFError {
                objects[family]?.close()
                objects[family] = nil
                statuses[family] = ProbeStatus(family: family.rawValue, attached: false, mode: "unsupported",
                                               detail: error.description)
                FileHandle.standardError.write(Data("isoprobe: \(family.rawValue) probes not attached: \(error)\n".utf8))
                if !error.log.isEmpty && !error.isUnsupported {
                    FileHandle.standardError.write(Data((error.verifierTail + "\n").utf8))
                }
            }
        }
    }

    public func workloadFinished() {
        for probe in objects.values { probe.detach() }
        events?.stop()
    }

    public var probeStatuses: [ProbeStatus] {
        settings.families.compactMap { statuses[$0] }
    }

    public struct Measurements: Sendable {
        public var syscalls: [SyscallStats] = []
        public var sched: SchedStats?
        public var memory: MemoryStats?
        public var slowSyscalls: [SlowSyscall] = []
        public var eventsDropped: UInt64 = 0
    }

    /// Reads every attached family's maps. Call after `workloadFinished`.
    public func collect() throws -> Measurements {
        var m = Measurements()
        if let p = objects[.syscalls] {
            m.syscalls = try SyscallReader.read(p.object)
            m.eventsDropped = try SyscallReader.dropped(p.object)
            m.slowSyscalls = events?.take() ?? []
        }
        if let p = objects[.sched] { m.sched = try SchedReader.read(p.object) }
        if let p = objects[.memory] {
            m.memory = try MemoryReader.read(p.object, syscalls: objects[.syscalls]?.object)
        }
        return m
    }

    public func close() {
        guard !closed else { return }
        closed = true
        events?.stop()
        events = nil
        for probe in objects.values { probe.close() }
        objects.removeAll()
    }
}

/// Polls the slow-syscall ring buffer on its own thread while the workload runs.
final class EventCollector: @unchecked Sendable {
    static let limit = 100_000
    private var ring: RingBuffer?
    private let lock = NSLock()
    private var collected: [SlowSyscall] = []
    private var running = false
    private let done = DispatchSemaphore(value: 0)

    init(map: BPFMap) throws {
        let sink = Sink()
        ring = try RingBuffer(map: map) { bytes in sink.append(bytes) }
        sink.collector = self
    }

    /// The ring buffer calls back into this; weak so the buffer does not keep the collector alive.
    private final class Sink: @unchecked Sendable {
        weak var collector: EventCollector?
        func append(_ bytes: UnsafeRawBufferPointer) { collector?.append(bytes) }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= MemoryLayout<isoprobe_syscall_event>.size else { return }
        let e = bytes.loadUnaligned(as: isoprobe_syscall_event.self)
        let comm = withUnsafeBytes(of: e.comm) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let event = SlowSyscall(name: SyscallTable.name(Int(e.nr)), pid: e.pid, tid: e.tid, cpu: e.cpu, comm: comm,
                                startNs: e.start_ns, durationNs: e.duration_ns, ret: e.ret)
        lock.lock()
        if collected.count < Self.limit { collected.append(event) }
        lock.unlock()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    func start() {
        lock.lock()
        running = true
        lock.unlock()
        Thread.detachNewThread { [self] in
            while isRunning { _ = try? ring?.poll(timeoutMs: 50) }
            _ = try? ring?.drain()
            done.signal()
        }
    }

    /// Stops polling after one last drain; safe to call more than once.
    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { done.wait() }
        ring?.close()
        ring = nil
    }

    func take() -> [SlowSyscall] {
        lock.lock()
        defer { lock.unlock() }
        return collected.sorted { $0.startNs < $1.startNs }
    }
}
