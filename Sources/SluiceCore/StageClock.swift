/// The time source a stage uses: the wall clock in production, a manual clock in tests.
///
/// Stages that wait (rate limits, candle closes, staleness) must sleep through their context's clock,
/// never through `Task.sleep`, so tests can drive time deterministically.
public protocol StageClock: Sendable {
    /// The current time.
    var now: Timestamp { get }
    /// Suspends until `deadline` (returns at once if it has passed).
    ///
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep(until deadline: Timestamp) async throws
}

extension StageClock {
    /// Suspends for `duration`.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.advanced(by: duration))
    }

    /// Suspends until `deadline`, returning early when `shutdown` is triggered.
    ///
    /// - Returns: `true` if the deadline was reached, `false` if shutdown was requested first.
    /// - Throws: `CancellationError` when the task is cancelled.
    public func sleep(until deadline: Timestamp, unless shutdown: ShutdownSignal) async throws -> Bool {
        if shutdown.isRequested { return false }
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await sleep(until: deadline)
                return true
            }
            group.addTask {
                await shutdown.wait()
                return false
            }
            let first = try await group.next()!
            group.cancelAll()
            return first && !shutdown.isRequested
        }
    }
}

/// The real wall clock.
public struct SystemClock: StageClock {
    /// Creates the system clock.
    public init() {}

    public var now: Timestamp { .now }

    public func sleep(until deadline: Timestamp) async throws {
        let remaining = Timestamp.now.duration(to: deadline)
        if remaining > .zero {
            try await ContinuousClock().sleep(for: remaining)
        }
    }
}
