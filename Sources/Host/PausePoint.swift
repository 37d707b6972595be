import Foundation

/// A test-only hook that holds isoprobe at a named phase, so a fault test can signal it
/// exactly there instead of guessing with timers: with `ISOPROBE_PAUSE_AT=<phase>`, the
/// first time isoprobe reaches that phase it prints `isoprobe: paused at <phase>` on
/// standard error and waits until a signal arrives (SIGINT, SIGTERM, SIGHUP; SIGKILL ends
/// it there). Then it goes on as if the signal had come at that moment, so what follows
/// must notice the interruption by itself. Unset, a phase costs one comparison.
public enum PausePoint: String, CaseIterable, Sendable {
    /// Probes loading for a run (host or guest side).
    case probeLoad = "probe-load"
    /// A container's bundle being written.
    case bundle
    /// The runtime started, the container not yet set up.
    case runtimeCreate = "runtime-create"
    /// The container set up and held in its startContainer hook.
    case hook
    /// QEMU started, the guest's agent not yet ready.
    case guestBoot = "guest-boot"
    /// The workload running.
    case workload
    /// A run finished, its result not yet recorded.
    case results
    /// Every run finished, the reports not yet written.
    case reports
    /// verify: the host's canaries planted, the guests not yet started.
    case canaries
    /// The plan's network made (namespaces, bridge, veths), no run yet.
    case network
    /// A storage workload's backing file written (and its loop device attached, natively
    /// and in a container), no run started.
    case blockDevice = "block-device"

    static let requested: PausePoint? = {
        guard let v = ProcessInfo.processInfo.environment["ISOPROBE_PAUSE_AT"], !v.isEmpty else { return nil }
        guard let p = PausePoint(rawValue: v) else {
            FileHandle.standardError.write(Data("isoprobe: ISOPROBE_PAUSE_AT=\(v) names no phase; phases: \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            return nil
        }
        return p
    }()

    private static let once = NSLock()
    nonisolated(unsafe) private static var done = false

    /// Holds here until a signal, the first time this phase is reached, when asked to.
    public static func reached(_ phase: PausePoint) {
        guard requested == phase else { return }
        once.lock()
        let first = !done
        done = true
        once.unlock()
        guard first else { return }
        FileHandle.standardError.write(Data("isoprobe: paused at \(phase.rawValue)\n".utf8))
        while !Interruption.shared.isInterrupted { usleep(5_000) }
    }
}
