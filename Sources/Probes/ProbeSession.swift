import BPF
import CShim
import Foundation
import Host
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
        /// Run-queue waits at least this long are sent as events (0: none).
        public var runqEventThresholdNs: UInt64

        public init(directory: String, families: [ProbeFamily] = ProbeFamily.allCases,
                    slowThresholdNs: UInt64 = 10_000_000, runqEventThresholdNs: UInt64 = 1_000_000) {
            self.directory = directory
            self.families = families
            self.slowThresholdNs = slowThresholdNs
            self.runqEventThresholdNs = runqEventThresholdNs
        }
    }

    public let settings: Settings
    private var objects: [ProbeFamily: ProbeObject] = [:]
    private var statuses: [ProbeFamily: ProbeStatus] = [:]
    private var events: EventCollector<SlowSyscall>?
    private var schedEvents: EventCollector<SchedEvent>?
    private var closed = false

    public init(settings: Settings) {
        self.settings = settings
    }

    deinit { close() }

    public func targetReady(_ target: CgroupTarget) throws {
        PausePoint.reached(.probeLoad)
        for family in settings.families {
            do {
                var constants: [String: UInt64] = [:]
                if family == .syscalls { constants["slow_threshold_ns"] = settings.slowThresholdNs }
                if family == .sched { constants["runq_event_ns"] = settings.runqEventThresholdNs }
                let probe = try ProbeObject(family: family, directory: settings.directory, target: target,
                                            constants: constants)
                objects[family] = probe
                try probe.load()
                try probe.attach()
                statuses[family] = ProbeStatus(family: family.rawValue, attached: true, mode: probe.modeDescription,
                                               detail: probe.notes.isEmpty ? nil : probe.notes.joined(separator: "; "))
                if family == .syscalls && settings.slowThresholdNs > 0 {
                    let collector = try EventCollector(map: probe.object.map(named: "events"), decode: Self.slowSyscall)
                    collector.start()
                    events = collector
                }
                if family == .sched && settings.runqEventThresholdNs > 0 {
                    let collector = try EventCollector(map: probe.object.map(named: "events"), decode: Self.schedEvent)
                    collector.start()
                    schedEvents = collector
                }
            } catch let error as BPFError {
                let failure = ProbeFailure.classify(error, probes: family.rawValue,
                                                    file: (settings.directory as NSString).appendingPathComponent(family.objectFile),
                                                    programs: objects[family]?.object.programs.filter(\.autoload) ?? [],
                                                    tracepoints: family.tracepoints)
                objects[family]?.close()
                objects[family] = nil
                let why: String
                do { why = try ProbeFailure.reasonOrThrow(failure) } catch {
                    close()
                    throw error
                }
                statuses[family] = ProbeStatus(family: family.rawValue, attached: false, mode: "unsupported", detail: why)
                FileHandle.standardError.write(Data("isoprobe: \(family.rawValue) probes not attached: \(why)\n".utf8))
            }
        }
    }

    public func workloadFinished() {
        for probe in objects.values { probe.detach() }
        events?.stop()
        schedEvents?.stop()
        // Detached, so the count is final: what each family's counts may be short by.
        for (family, probe) in objects {
            let missed = probe.object.recursionMisses
            if missed > 0 { statuses[family]?.missedRuns = missed }
        }
    }

    public var probeStatuses: [ProbeStatus] {
        settings.families.compactMap { statuses[$0] }
    }

    public struct Measurements: Sendable {
        public var syscalls: [SyscallStats] = []
        public var sched: SchedStats?
        public var memory: MemoryStats?
        public var slowSyscalls: [SlowSyscall] = []
        public var schedEvents: [SchedEvent]?
        public var eventsDropped: UInt64 = 0
    }

    /// Reads every attached family's maps. Call after `workloadFinished`.
    public func collect() throws -> Measurements {
        var m = Measurements()
        if let p = objects[.syscalls] {
            m.syscalls = try SyscallReader.read(p.object)
            m.eventsDropped = try EventReader.dropped(p.object)
            m.slowSyscalls = (events?.take() ?? []).sorted { $0.startNs < $1.startNs }
        }
        if let p = objects[.sched] {
            m.sched = try SchedReader.read(p.object)
            if let schedEvents {
                m.schedEvents = schedEvents.take().sorted { $0.startNs < $1.startNs }
                m.eventsDropped += try EventReader.dropped(p.object)
            }
        }
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
        schedEvents?.stop()
        schedEvents = nil
        for probe in objects.values { probe.close() }
        objects.removeAll()
    }
}

extension ProbeSession {
    static func slowSyscall(_ bytes: UnsafeRawBufferPointer) -> SlowSyscall? {
        guard bytes.count >= MemoryLayout<isoprobe_syscall_event>.size else { return nil }
        let e = bytes.loadUnaligned(as: isoprobe_syscall_event.self)
        return SlowSyscall(name: SyscallTable.name(Int(e.nr)), pid: e.pid, tid: e.tid, cpu: e.cpu, comm: comm(e.comm),
                           startNs: e.start_ns, durationNs: e.duration_ns, ret: e.ret)
    }

    static func schedEvent(_ bytes: UnsafeRawBufferPointer) -> SchedEvent? {
        guard bytes.count >= MemoryLayout<isoprobe_sched_event>.size else { return nil }
        let e = bytes.loadUnaligned(as: isoprobe_sched_event.self)
        let kind = e.kind == UInt32(ISOPROBE_SCHED_RUNQ_WAIT.rawValue) ? "runq_wait" : "kind_\(e.kind)"
        return SchedEvent(kind: kind, pid: e.pid, tid: e.tid, cpu: e.cpu, comm: comm(e.comm), startNs: e.start_ns,
                          durationNs: e.duration_ns)
    }

    static func comm<T>(_ raw: T) -> String {
        withUnsafeBytes(of: raw) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// Polls a probe's ring buffer on its own thread while the workload runs.
final class EventCollector<Event: Sendable>: @unchecked Sendable {
    static var limit: Int { 100_000 }
    private var ring: RingBuffer?
    private let lock = NSLock()
    private var collected: [Event] = []
    private var running = false
    private let done = DispatchSemaphore(value: 0)
    private let decode: (UnsafeRawBufferPointer) -> Event?

    init(map: BPFMap, decode: @escaping (UnsafeRawBufferPointer) -> Event?) throws {
        self.decode = decode
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
        guard let event = decode(bytes) else { return }
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

    func take() -> [Event] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }
}
