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
    private let queue: BatchQueue<Element>?
    private let counter: EventCounter
    private let inFlight = InFlightBatch<Element>()

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
            guard let queue, let batch = try await queue.next() else {
                inFlight.set(nil)
                return nil
            }
            counter.add(batch.count)
            inFlight.set(batch)
            return batch
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: queue, counter: counter, inFlight: inFlight) }

    /// Makes the batch the stage was processing when it failed the first one the next iterator returns,
    /// so a restarted stage loses nothing (delivery is at-least-once across a restart).
    public func redeliverInFlightBatch() { inFlight.redeliver() }
}

/// The batch a stage last received, kept so a restart can hand it to the new instance.
final class InFlightBatch<Element: Sendable>: Sendable {
    private let state = Mutex<(current: [Element]?, redeliver: Bool)>((nil, false))

    func set(_ batch: [Element]?) { state.withLock { $0 = (batch, false) } }
    func redeliver() { state.withLock { if $0.current != nil { $0.redeliver = true } } }
    func takeRedelivery() -> [Element]? {
        state.withLock { s in
            guard s.redeliver else { return nil }
            s.redeliver = false
            return s.current
        }
    }
}

/// A stage's output: sends batches to every downstream stage (fan-out), waiting where a downstream
/// queue applies backpressure.
public struct Outbound<Element: Sendable>: Sendable {
    private let queues: [BatchQueue<Element>]
    private let counter: EventCounter

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
