import Foundation
import IsoprobeCore
import Reports

/// Progress of a long run on standard error: on a terminal one line that rewrites itself
/// (environment, workload, repetition, ETA); otherwise one timestamped line per event, which
/// a CI log keeps readable.
public final class RunProgress {
    let interactive: Bool
    let write: (String) -> Void
    let clock: () -> Date
    private let started: Date
    /// Seconds per finished run, by environment: a guest run costs far more than a native one.
    private var spent: [String: (seconds: Double, runs: Int)] = [:]
    private var remaining: [String: Int] = [:]
    private var runStarted: Date?
    private var lineOpen = false

    public init(schedule: [PlannedRun], interactive: Bool = isatty(2) == 1,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                clock: @escaping () -> Date = Date.init) {
        self.interactive = interactive
        self.write = write
        self.clock = clock
        started = clock()
        for run in schedule { remaining[run.environment.rawValue, default: 0] += 1 }
    }

    public func handle(_ event: RunEvent) {
        switch event {
        case .starting(let run, let index, let total):
            runStarted = clock()
            if interactive {
                let eta = estimate().map { " · ETA \(Self.format(seconds: $0))" } ?? ""
                status("[\(index)/\(total)] \(run.environment) \(run.spec.text) \(Self.label(run))\(eta)")
            }
        case .finished(let run, let result, let index, let total):
            account(run)
            let line = "[\(index)/\(total)] \(run.environment) \(run.spec.text) \(Self.label(run)): "
                + "\(result.exit.description), wall \(Format.duration(ns: result.wallNs))"
            if interactive { if !result.exit.succeeded { message(line) } } else { message(line) }
        case .failed(let run, let error, let index, let total):
            account(run)
            message("[\(index)/\(total)] \(run.environment) \(run.spec.text) \(Self.label(run)): failed: \(error)")
        case .skippedEnvironment(let env, let reason):
            message("skipping environment \(env): \(reason)")
        case .precision(let spec, let round, let reached, let target):
            let now = reached.map { "±" + Self.percent($0) } ?? "not yet paired"
            let line = "\(spec.text) round \(round): precision \(now) (target ±\(Self.percent(target)))"
            if interactive { status(line) } else { message(line) }
        case .stopped(let reason):
            switch reason {
            case .precision: message("every ratio is known to the precision target")
            case .maxTime: message("stopped at --max-time: some ratios are short of the precision target")
            case .maxReps: message("stopped at --max-reps: some ratios are short of the precision target")
            case .repetitions, .interrupted: break
            }
        }
    }

    /// Ends the rewriting line, if any.
    public func finish() {
        if lineOpen { write("\r\u{1B}[K"); lineOpen = false }
    }

    /// Seconds left: each environment's remaining runs at its own mean so far (the overall
    /// mean for an environment that has not run yet).
    public func estimate() -> Double? {
        let done = spent.values.reduce((0.0, 0)) { ($0.0 + $1.seconds, $0.1 + $1.runs) }
        guard done.1 > 0 else { return nil }
        let overall = done.0 / Double(done.1)
        return remaining.reduce(0.0) { sum, entry in
            let mean = spent[entry.key].map { $0.seconds / Double($0.runs) } ?? overall
            return sum + mean * Double(entry.value)
        }
    }

    private func account(_ run: PlannedRun) {
        let seconds = runStarted.map { clock().timeIntervalSince($0) } ?? 0
        var s = spent[run.environment.rawValue] ?? (0, 0)
        s.seconds += seconds
        s.runs += 1
        spent[run.environment.rawValue] = s
        remaining[run.environment.rawValue, default: 1] -= 1
    }

    private func status(_ text: String) {
        write("\r\u{1B}[K" + text)
        lineOpen = true
    }

    private func message(_ text: String) {
        if interactive {
            finish()
            write(text + "\n")
        } else {
            write(Self.timestamp(clock()) + " " + text + "\n")
        }
    }

    static func label(_ run: PlannedRun) -> String {
        run.warmup ? "warm-up \(run.repetition)/\(run.of)" : "round \(run.repetition)/\(run.of)"
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    static func format(seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
            : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
