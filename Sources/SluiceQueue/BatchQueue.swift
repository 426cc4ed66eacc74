import Synchronization

/// The bounded queue on every edge of a pipeline. It moves whole batches: one hand-off carries many
/// events, which is what makes millions of events per second possible.
///
/// Any number of producers (fan-in) send batches; one consumer receives them in order. The queue never
/// holds more than `capacity` events (a larger batch is split), whatever the policy:
/// - `block` suspends a producer until the consumer makes room;
/// - `drop_oldest`, `drop_newest` and `conflate` never suspend and count every event they discard.
///
/// The queue finishes when every producer has called ``finishProducing()`` and the buffer is empty.
/// Once the consumer has stopped (``closeConsumer()``), every `send` throws ``QueueClosedError``: a
/// producer into a dead stage stops instead of counting drops.
///
/// The queue is storage: a `Mutex` around a ``BatchQueueStateMachine`` (which decides) and the
/// continuations of whoever waits (which the machine only knows by ticket).
public final class BatchQueue<Element: Sendable>: Sendable {
    /// The most events the queue holds at once.
    public let capacity: Int
    /// What happens when it is full.
    public let policy: QueuePolicy
    private let state: Mutex<Storage>

    private struct Storage: ~Copyable {
        var machine: BatchQueueStateMachine<Element>
        var producers: [UInt64: UnsafeContinuation<Void, any Error>] = [:]
        var consumer: UnsafeContinuation<Delivery, any Error>?

        /// Takes the continuations of `ids`.
        mutating func producers(_ ids: [UInt64]) -> [UnsafeContinuation<Void, any Error>] {
            ids.compactMap { producers.removeValue(forKey: $0) }
        }

        /// Takes the waiting consumer's continuation with what to resume it with.
        mutating func consumer(with delivery: Delivery) -> ConsumerWake? {
            guard let c = consumer else { return nil }
            consumer = nil
            return ConsumerWake(continuation: c, delivery: delivery)
        }
    }

    private struct ConsumerWake {
        var continuation: UnsafeContinuation<Delivery, any Error>
        var delivery: Delivery
        func resume() { continuation.resume(returning: delivery) }
    }

    /// What the consumer gets from ``nextDelivery()``.
    package enum Delivery: Sendable {
        /// The next batch.
        case batch([Element])
        /// Every producer has finished and the queue is empty.
        case end
        /// The wake-up asked for with ``requestWake()``.
        case wake
    }

    /// Creates a queue.
    ///
    /// - Parameters:
    ///   - capacity: The most events held at once (at least 1).
    ///   - policy: What to do when full.
    ///   - producers: How many producers will call ``finishProducing()``.
    ///   - key: For `conflate`: the key of an event. Required for that policy.
    public init(capacity: Int, policy: QueuePolicy = .block, producers: Int = 1, key: (@Sendable (Element) -> ConflationKey)? = nil) {
        self.capacity = capacity
        self.policy = policy
        self.state = Mutex(Storage(machine: BatchQueueStateMachine(capacity: capacity, policy: policy, producers: producers, key: key)))
    }

    /// The queue's counters now.
    public var statistics: QueueStatistics { state.withLock { $0.machine.statistics } }

    // MARK: Producing

    /// Sends a batch. Under `block` this suspends until the whole batch is queued; other policies return
    /// at once.
    ///
    /// - Throws: ``QueueClosedError`` once the consumer has stopped; `CancellationError` if the task is
    ///   cancelled while waiting. Either way, what of the batch did not enter the queue is counted as
    ///   abandoned (never as dropped: only a policy drops), so sent = received + queued + dropped +
    ///   conflated + abandoned holds exactly.
    public func send(_ batch: [Element]) async throws {
        guard !batch.isEmpty else { return }
        let (action, wake): (BatchQueueStateMachine<Element>.SendAction, ConsumerWake?) = state.withLock { s in
            let action = s.machine.send(batch)
            switch action {
            case .queued(let deliver?), .wait(_, let deliver?): return (action, s.consumer(with: .batch(deliver)))
            default: return (action, nil)
            }
        }
        wake?.resume()
        switch action {
        case .queued: return
        case .closed: throw QueueClosedError()
        case .wait(let id, _): try await waitForRoom(id)
        }
    }

    /// Suspends producer `id` until its batch is all in, the consumer stops, or the task is cancelled.
    private func waitForRoom(_ id: UInt64) async throws {
        try await suspend { continuation in
            let action = state.withLock { s in
                let action = s.machine.producerSuspends(id, cancelled: Task.isCancelled)
                if action == .suspend { s.producers[id] = continuation }
                return action
            }
            switch action {
            case .suspend: return nil
            case .resumeAdmitted: return .success(())
            case .resumeClosed: return .failure(QueueClosedError())
            case .resumeCancelled: return .failure(CancellationError())
            }
        } cancel: {
            state.withLock { s in s.machine.producerCancelled(id) ? s.producers.removeValue(forKey: id) : nil }
        }
    }

    /// Declares that one producer will send no more. When all have, the consumer sees the end once the
    /// buffer is drained.
    public func finishProducing() {
        let wake = state.withLock { s in s.machine.finishProducing() ? s.consumer(with: .end) : nil }
        wake?.resume()
    }

    // MARK: Consuming

    /// Receives the next batch, or `nil` when all producers have finished and the queue is empty.
    ///
    /// Only one task may consume.
    public func next() async throws -> [Element]? {
        while true {
            switch try await nextDelivery() {
            case .batch(let batch): return batch
            case .end: return nil
            case .wake: continue  // only a consumer that asked for wake-ups gets them
            }
        }
    }

    /// Receives the next batch, the end, or a wake-up asked for with ``requestWake()`` (which comes
    /// before any batch).
    package func nextDelivery() async throws -> Delivery {
        var admitted: [UnsafeContinuation<Void, any Error>] = []
        let action = state.withLock { s in
            let action = s.machine.next()
            if case .deliver(_, let ids) = action { admitted = s.producers(ids) }
            return action
        }
        for c in admitted { c.resume() }
        switch action {
        case .deliver(let batch, _): return .batch(batch)
        case .end: return .end
        case .wake: return .wake
        case .wait: break
        }
        return try await suspend { continuation in
            var admitted: [UnsafeContinuation<Void, any Error>] = []
            let action = state.withLock { s in
                let action = s.machine.consumerSuspends(cancelled: Task.isCancelled)
                switch action {
                case .suspend: s.consumer = continuation
                case .deliver(_, let ids): admitted = s.producers(ids)
                case .end, .wake, .cancelled: break
                }
                return action
            }
            for c in admitted { c.resume() }
            switch action {
            case .suspend: return nil
            case .deliver(let batch, _): return .success(.batch(batch))
            case .end: return .success(.end)
            case .wake: return .success(.wake)
            case .cancelled: return .failure(CancellationError())
            }
        } cancel: {
            state.withLock { s in s.machine.consumerCancelled() ? s.consumer(with: .end)?.continuation : nil }
        }
    }

    /// Wakes the consumer once: now, if it waits in ``nextDelivery()``, else at its next call (before any
    /// batch). Requests before it is woken coalesce into one.
    package func requestWake() {
        let wake = state.withLock { s in s.machine.requestWake() ? s.consumer(with: .wake) : nil }
        wake?.resume()
    }

    /// Declares that the consumer will receive no more: what is queued, and what waiting producers still
    /// hold, is counted as abandoned; waiting producers and every later `send` throw ``QueueClosedError``.
    public func closeConsumer() {
        let waiting = state.withLock { s in s.producers(s.machine.closeConsumer()) }
        for c in waiting { c.resume(throwing: QueueClosedError()) }
    }
}

/// Thrown by ``BatchQueue/send(_:)`` once the queue's consumer has stopped: the stage downstream is gone
/// (it failed, or the run is ending), so there is nobody to send to. A producer that sees it stops.
public struct QueueClosedError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Creates the error.
    public init() {}

    public var description: String { "the downstream stage has stopped" }
}
