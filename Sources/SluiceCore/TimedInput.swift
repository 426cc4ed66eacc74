
/// One step of a stage that acts both on its input and on the passage of time: the next batch, or a tick
/// of the stage's clock.
public enum TimedInput<Element: Sendable>: Sendable {
    /// The next input batch.
    case batch([Element])
    /// The clock reached this time (ticks come every `interval`, never while a step is being handled;
    /// ticks due while one is being handled make one tick after it).
    case tick(Timestamp)
}

extension Inbound {
    /// Hands the input's batches to `body` in order, interleaved with a tick every `interval` on `clock`,
    /// until the input ends.
    ///
    /// This is how a sink flushes every N milliseconds or a candle builder closes a quiet symbol's candle
    /// on time while waiting for input. Steps never overlap, and the next batch is only read once `body`
    /// has finished with the previous one, so backpressure and restart redelivery work as with a plain
    /// `for try await` loop.
    ///
    /// ```swift
    /// try await input.forEach(tickingEvery: .milliseconds(250), clock: context.clock) { step in
    ///     switch step {
    ///     case .batch(let events): buffer.append(contentsOf: events)
    ///     case .tick(let now): try flush(now)
    ///     }
    /// }
    /// ```
    public func forEach(
        tickingEvery interval: Duration, clock: any StageClock,
        _ body: (TimedInput<Element>) async throws -> Void
    ) async throws {
        guard let queue else { return }  // a source's input: empty
        // One task reads the queue and runs `body`; the ticker only asks the queue to wake it (requests
        // coalesce while `body` is busy), so batches pass with no extra hand-off.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    try await clock.sleep(until: clock.now.advanced(by: interval))
                    // (A clock whose sleep returns when cancelled must not make this loop spin.)
                    try Task.checkCancellation()
                    queue.requestWake()
                }
            }
            defer { group.cancelAll() }
            while true {
                if let replay = inFlight.takeRedelivery() {
                    try await body(.batch(replay))
                    continue
                }
                switch try await queue.nextDelivery() {
                case .batch(let batch):
                    counter.add(batch.count)
                    inFlight.received(batch)
                    try await body(.batch(batch))
                case .wake:
                    try await body(.tick(clock.now))
                case .end:
                    return
                }
            }
        }
    }
}
