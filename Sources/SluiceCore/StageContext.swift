public import Logging
import Synchronization

/// What a stage gets from the runtime: its identity, a logger, a clock, the shutdown signal and the
/// error accounting.
public struct StageContext: Sendable {
    /// The stage's id in the pipeline file.
    public var stageID: String
    /// The stage's kind.
    public var kind: String
    /// A logger with the stage id in its metadata.
    public var logger: Logger
    /// The clock to read and sleep on.
    public var clock: any StageClock
    /// Fires when the pipeline is asked to shut down gracefully.
    public var shutdown: ShutdownSignal
    /// The stage's error policy.
    public var errorPolicy: ErrorPolicy
    /// The counters the runtime reports for this stage.
    public var counters: StageCounters
    /// Values the pipeline's stages share, set when a stage is created (every stage is created before
    /// any runs).
    public var shared: SharedValues
    /// Where to write to standard output (kept apart from the runner's status line).
    public var console: ConsoleOutput

    /// Creates a context (the runtime and `SluiceTesting` do this).
    public init(
        stageID: String, kind: String, logger: Logger, clock: any StageClock = SystemClock(),
        shutdown: ShutdownSignal = ShutdownSignal(), errorPolicy: ErrorPolicy = .fail,
        counters: StageCounters = StageCounters(), shared: SharedValues = SharedValues(),
        console: ConsoleOutput = .direct
    ) {
        self.stageID = stageID
        self.kind = kind
        self.logger = logger
        self.clock = clock
        self.shutdown = shutdown
        self.errorPolicy = errorPolicy
        self.counters = counters
        self.shared = shared
        self.console = console
    }

    /// Reports that one record could not be processed.
    ///
    /// Under `on_error: skip` or `restart` the error is counted, logged (at most once per second with a
    /// count of what was suppressed) and the caller should skip the record. Under `fail` it throws a
    /// ``StageError`` that fails the stage.
    public func recordError(_ error: any Error, record: String? = nil) throws {
        counters.errors.add(1)
        if errorPolicy.skipsRecordErrors {
            counters.skipped.add(1)
            logRateLimited("record skipped", error: error, record: record)
        } else {
            var message = "record failed: \(error)"
            if let record { message += " in \(record)" }
            throw StageError(.recordFailed, message, stageID: stageID, underlying: error)
        }
    }

    /// Counts inputs the stage deliberately skips (a malformed frame, a late event); never fatal. The
    /// reason is logged, rate-limited.
    public func skip(_ reason: String, count: Int = 1) {
        counters.skipped.add(count)
        logRateLimited("skipped: \(reason)", error: nil, record: nil)
    }

    private func logRateLimited(_ message: String, error: (any Error)?, record: String?) {
        let now = Timestamp.now
        guard let suppressed = counters.logGate.admit(now: now) else { return }
        var metadata: Logger.Metadata = [:]
        if let error { metadata["error"] = "\(error)" }
        if let record { metadata["record"] = "\(record)" }
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("\(message)", metadata: metadata)
    }
}

/// The per-stage counters the runtime reports (events in and out are counted by the ports).
public final class StageCounters: Sendable {
    /// Events read from the input.
    public let eventsIn = EventCounter()
    /// Events sent to the output.
    public let eventsOut = EventCounter()
    /// Errors: record-level and stage failures.
    public let errors = EventCounter()
    /// Inputs skipped (bad records, malformed frames) — counted, never silent.
    public let skipped = EventCounter()
    /// How many times the stage was restarted.
    public let restarts = EventCounter()
    /// The feed state a source last reported (``StageContext/reportFeed(_:)``).
    public let feed = ReportedValue<FeedHealth>()
    /// The subscriptions' states a stage last reported (``StageContext/reportSymbols(_:)``).
    public let symbols = ReportedValue<SymbolHealth>()
    /// How the stage takes subscription changes from outside, if it does.
    public let subscriptionControl = ReportedValue<SubscriptionControl>()
    let logGate = LogGate()

    /// Creates zeroed counters.
    public init() {}
}

/// Admits one log line per second and counts the rest.
final class LogGate: Sendable {
    private let state = Mutex<(last: Int64, suppressed: Int)>((Int64.min, 0))

    /// Returns the number suppressed since the last admitted line, or `nil` to suppress this one.
    func admit(now: Timestamp) -> Int? {
        state.withLock { s in
            if s.last == .min || now.nanosecondsSinceEpoch - s.last >= 1_000_000_000 {
                let n = s.suppressed
                s.last = now.nanosecondsSinceEpoch
                s.suppressed = 0
                return n
            }
            s.suppressed += 1
            return nil
        }
    }
}

extension StageContext {
    /// Sleeps on the stage's clock until `deadline`, returning early when shutdown is requested.
    ///
    /// - Returns: `true` if the deadline was reached, `false` if shutdown was requested first.
    /// - Throws: `CancellationError` when the task is cancelled.
    public func sleep(until deadline: Timestamp) async throws -> Bool {
        try await clock.sleep(until: deadline, unless: shutdown)
    }
}
