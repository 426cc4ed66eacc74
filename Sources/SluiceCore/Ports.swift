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

    /// Creates an input reading from `queue`; `nil` makes an input that is empty (for sources).
    public init(queue: BatchQueue<Element>?, counter: EventCounter = EventCounter()) {
        self.queue = queue
        self.counter = counter
    }

    /// Iterates the batches.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: BatchQueue<Element>?
        let counter: EventCounter

        /// The next batch, or `nil` at the end.
        public mutating func next() async throws -> [Element]? {
            guard let queue, let batch = try await queue.next() else { return nil }
            counter.add(batch.count)
            return batch
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: queue, counter: counter) }
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
    @inlinable
    public func add(_ n: Int) { _add(n) }

    @usableFromInline
    func _add(_ n: Int) { count.add(n, ordering: .relaxed) }

    /// The current count.
    public var value: Int { count.load(ordering: .relaxed) }
}
