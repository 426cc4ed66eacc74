import DequeModule
import Synchronization

/// One step of a stage that acts both on its input and on the passage of time: the next batch, or a tick
/// of the stage's clock.
public enum TimedInput<Element: Sendable>: Sendable {
    /// The next input batch.
    case batch([Element])
    /// The clock reached this time (ticks come every `interval`, never while a step is being handled).
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
        let handoff = StepHandoff<Element>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await batch in self { try await handoff.put(.batch(batch)) }
                    try await handoff.put(.end)
                } catch {
                    try? await handoff.put(.failed(error))
                }
            }
            group.addTask {
                while true {
                    try await clock.sleep(until: clock.now.advanced(by: interval))
                    try await handoff.put(.tick(clock.now))
                }
            }
            defer {
                handoff.close()
                group.cancelAll()
            }
            loop: while true {
                switch try await handoff.take() {
                case .batch(let batch): try await body(.batch(batch))
                case .tick(let now): try await body(.tick(now))
                case .end: break loop
                case .failed(let error): throw error
                }
            }
        }
    }
}

/// A rendezvous between the input and ticker tasks and the stage's own task: a producer's `put` returns
/// once the consumer has *finished* with its item (asked for the next one), which keeps backpressure.
final class StepHandoff<Element: Sendable>: Sendable {
    enum Step: Sendable {
        case batch([Element])
        case tick(Timestamp)
        case end
        case failed(any Error)
    }

    private struct Pending {
        var id: UInt64
        var step: Step
        var producer: UnsafeContinuation<Void, any Error>?
    }

    private struct State {
        var pending: Deque<Pending> = []
        var consumer: UnsafeContinuation<Step, any Error>?
        var inProgress: UnsafeContinuation<Void, any Error>?
        var nextID: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// Offers `step` and returns once the consumer has finished with it.
    func put(_ step: Step) async throws {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await suspend { producer in
            let (consumer, cancelled) = state.withLock { s -> (UnsafeContinuation<Step, any Error>?, Bool) in
                if Task.isCancelled || s.closed { return (nil, true) }
                if let consumer = s.consumer {
                    s.consumer = nil
                    s.inProgress = producer
                    return (consumer, false)
                }
                s.pending.append(Pending(id: id, step: step, producer: producer))
                return (nil, false)
            }
            consumer?.resume(returning: step)
            return cancelled ? .failure(CancellationError()) : nil
        } cancel: {
            state.withLock { s in
                guard let i = s.pending.firstIndex(where: { $0.id == id }) else { return nil }
                return s.pending.remove(at: i).producer
            }
        }
    }

    /// Ends the rendezvous: every waiting producer gets a `CancellationError`, and so does any later `put`.
    func close() {
        let producers = state.withLock { s -> [UnsafeContinuation<Void, any Error>] in
            s.closed = true
            var all = s.pending.compactMap(\.producer)
            if let p = s.inProgress { all.append(p) }
            s.pending.removeAll()
            s.inProgress = nil
            return all
        }
        for p in producers { p.resume(throwing: CancellationError()) }
    }

    /// Releases the previous step's producer and waits for the next step.
    func take() async throws -> Step {
        try await suspend { consumer in
            let (finished, next, cancelled) = state.withLock { s -> (UnsafeContinuation<Void, any Error>?, Step?, Bool) in
                let finished = s.inProgress
                s.inProgress = nil
                if Task.isCancelled { return (finished, nil, true) }
                if let first = s.pending.popFirst() {
                    s.inProgress = first.producer
                    return (finished, first.step, false)
                }
                s.consumer = consumer
                return (finished, nil, false)
            }
            finished?.resume()
            if cancelled { return .failure(CancellationError()) }
            return next.map { .success($0) }
        } cancel: {
            state.withLock { s in
                defer { s.consumer = nil }
                return s.consumer
            }
        }
    }
}
