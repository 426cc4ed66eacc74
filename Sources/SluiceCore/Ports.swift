public import SluiceQueue

import Synchronization

/// A stage's input: an asynchronous sequence of batches, in order, ending when every upstream stage has
/// finished and the queue is drained.
///
/// ```swift
/// for try await batch in input {
///     for event in batch { … }
/// }
/// ```
public struct Inbound<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Element = [Element]
    let queue: BatchQueue<Element>?
    let counter: EventCounter
    let inFlight = InFlightBatch<Element>()

    /// Creates an input reading from `queue`; `nil` makes an input that is empty (for sources).
    public init(queue: BatchQueue<Element>?, counter: EventCounter = EventCounter()) {
        self.queue = queue
        self.counter = counter
    }

    /// Iterates the batches.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: BatchQueue<Element>?
        let counter: EventCounter
        let inFlight: InFlightBatch<Element>

        /// The next batch, or `nil` at the end.
        public mutating func next() async throws -> [Element]? {
            if let replay = inFlight.takeRedelivery() { return replay }
            // At the end the recent batches stay: a stage that fails while finishing gets them again.
            guard let queue, let batch = try await queue.next() else { return nil }
            counter.add(batch.count)
            inFlight.received(batch)
            return batch
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: queue, counter: counter, inFlight: inFlight) }

    /// Makes the batches the stage was processing when it failed the first ones the next iterator
    /// returns, so a restarted stage loses nothing (delivery is at-least-once across a restart).
    public func redeliverInFlightBatch() { inFlight.redeliver() }

    /// Keeps the last `count` batches (default 1) for redelivery after a restart: for a stage that hands
    /// batches on before it is done with them, like `exec`, whose program may die with several batches
    /// unread in its pipe.
    public func retainForRedelivery(batches count: Int) { inFlight.setLimit(count) }
}

/// The batches a stage last received, kept so a restart can hand them to the new instance.
final class InFlightBatch<Element: Sendable>: Sendable {
    private struct State {
        var recent: [[Element]] = []
        var limit = 1
        var replay: [[Element]] = []
    }

    private let state = Mutex(State())

    func received(_ batch: [Element]) {
        state.withLock { s in
            s.recent.append(batch)
            if s.recent.count > s.limit { s.recent.removeFirst(s.recent.count - s.limit) }
        }
    }

    func setLimit(_ limit: Int) { state.withLock { $0.limit = max(limit, 1) } }

    func redeliver() { state.withLock { $0.replay = $0.recent } }

    func takeRedelivery() -> [Element]? {
        state.withLock { s in
            guard !s.replay.isEmpty else { return nil }
            return s.replay.removeFirst()
        }
    }
}

/// A stage's output: sends batches to every downstream stage (fan-out), waiting where a downstream
/// queue applies backpressure.
public struct Outbound<Element: Sendable>: Sendable {
    private let queues: [BatchQueue<Element>]
    let counter: EventCounter

    /// Creates an output that sends to `queues` (none for sinks, or for a stage nobody consumes).
    public init(queues: [BatchQueue<Element>], counter: EventCounter = EventCounter()) {
        self.queues = queues
        self.counter = counter
    }

    /// Sends a batch downstream. Prefer batches: one call per event costs far more per event.
    ///
    /// - Throws: `CancellationError` when the pipeline is cancelled while waiting for room.
    public func send(_ batch: [Element]) async throws {
        guard !batch.isEmpty else { return }
        counter.add(batch.count)
        for queue in queues {
            try await queue.send(batch)
        }
    }

    /// Sends one event downstream (a batch of one).
    public func send(_ element: Element) async throws {
        try await send([element])
    }

    /// Events sent so far.
    public var sentCount: Int { counter.value }
}

/// A shared, thread-safe event counter (per stage input or output).
public final class EventCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// Creates a counter at zero.
    public init() {}

    /// Adds `n`.
    public func add(_ n: Int) { count.add(n, ordering: .relaxed) }

    /// The current count.
    public var value: Int { count.load(ordering: .relaxed) }
}
