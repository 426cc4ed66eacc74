import DequeModule
import OrderedCollections

/// The state of a ``BatchQueue`` — its buffer, counters, policy and waiting producers — as a value with
/// no lock and no continuation. Every operation returns what its caller must do next (hand a batch to the
/// waiting consumer, resume these producers, suspend), so each policy can be tested as a table of calls
/// and results without any concurrency; ``BatchQueue`` holds one in a `Mutex` beside the continuations.
package struct BatchQueueStateMachine<Element> {
    /// A producer waiting for room: its ticket and what of its batch is not queued yet.
    private struct Waiter {
        var id: UInt64
        var pending: [Element]
        var suspended = false
    }

    /// The most events held at once.
    package let capacity: Int
    /// What happens when it is full.
    package let policy: QueuePolicy
    private let keyOf: ((Element) -> ConflationKey)?

    private var buffer = Deque<[Element]>()
    private var conflated = OrderedDictionary<ConflationKey, Element>()
    private var count = 0
    private var producers: Int
    private var consumerGone = false
    private var consumerWaiting = false
    /// A wake-up the consumer asked for (``requestWake()``) and has not had yet.
    private var wakeRequested = false
    /// Producers removed by ``closeConsumer()`` before they had suspended.
    private var closedWaiters = Set<UInt64>()
    private var waiters = Deque<Waiter>()
    private var nextWaiterID: UInt64 = 0
    private var stats = QueueStatistics()

    /// A machine for a queue of `capacity` events under `policy`, fed by `producers` producers; `key`
    /// is required for `conflate`.
    package init(capacity: Int, policy: QueuePolicy, producers: Int, key: ((Element) -> ConflationKey)?) {
        precondition(capacity >= 1, "queue capacity must be at least 1")
        precondition(policy != .conflate || key != nil, "conflate needs a key function")
        self.capacity = capacity
        self.policy = policy
        self.producers = producers
        self.keyOf = key
    }

    /// The counters, with the depth now.
    package var statistics: QueueStatistics {
        var s = stats
        s.depth = count
        return s
    }

    // MARK: Producing

    /// What ``send(_:)`` asks of its caller.
    package enum SendAction {
        /// The batch is in (all of it, or what a policy kept). `deliver`: hand this batch to the waiting
        /// consumer.
        case queued(deliver: [Element]?)
        /// The consumer has stopped; the batch was counted as abandoned. Throw ``QueueClosedError``.
        case closed
        /// Under `block`, what did not fit waits as producer `id`: suspend (see ``producerSuspends(_:cancelled:)``).
        /// `deliver` as for `queued`.
        case wait(id: UInt64, deliver: [Element]?)
    }

    /// A producer sends a non-empty batch.
    package mutating func send(_ batch: [Element]) -> SendAction {
        if consumerGone {
            stats.abandoned += batch.count
            return .closed
        }
        guard policy == .block else { return .queued(deliver: enqueueNonBlocking(batch)) }
        let space = capacity - count
        if waiters.isEmpty && batch.count <= space { return .queued(deliver: append(batch)) }
        // Queue what fits now (keeping FIFO order behind earlier waiters), then wait for the rest.
        var rest = batch
        var deliver: [Element]?
        if waiters.isEmpty && space > 0 {
            deliver = append(Array(batch[..<space]))
            rest = Array(batch[space...])
        }
        nextWaiterID += 1
        waiters.append(Waiter(id: nextWaiterID, pending: rest))
        return .wait(id: nextWaiterID, deliver: deliver)
    }

    /// What becomes of a producer about to suspend.
    package enum SuspendAction: Equatable {
        /// Suspend; a later action resumes it.
        case suspend
        /// Its batch went in meanwhile: return at once.
        case resumeAdmitted
        /// The consumer stopped meanwhile: throw ``QueueClosedError``.
        case resumeClosed
        /// The task is cancelled: throw `CancellationError` (its pending events are counted abandoned).
        case resumeCancelled
    }

    /// Producer `id` (from ``SendAction/wait(id:deliver:)``) is about to suspend; `cancelled` says whether
    /// its task already is.
    package mutating func producerSuspends(_ id: UInt64, cancelled: Bool) -> SuspendAction {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else {
            return closedWaiters.remove(id) != nil ? .resumeClosed : .resumeAdmitted
        }
        if cancelled {
            stats.abandoned += waiters.remove(at: i).pending.count
            return .resumeCancelled
        }
        waiters[i].suspended = true
        return .suspend
    }

    /// Producer `id`'s task was cancelled. Returns whether it is suspended (and must now be resumed with
    /// `CancellationError`); its pending events are counted abandoned.
    package mutating func producerCancelled(_ id: UInt64) -> Bool {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return false }
        let w = waiters.remove(at: i)
        stats.abandoned += w.pending.count
        return w.suspended
    }

    /// One producer will send no more. Returns whether the waiting consumer must now be given the end.
    package mutating func finishProducing() -> Bool {
        producers -= 1
        guard producers <= 0, count == 0, consumerWaiting else { return false }
        consumerWaiting = false
        return true
    }

    // MARK: Consuming

    /// What ``next()`` asks of its caller.
    package enum NextAction {
        /// Return this batch, after resuming these suspended producers (their batches went in).
        case deliver([Element], resume: [UInt64])
        /// Return the end: every producer has finished and nothing is left.
        case end
        /// Return a wake-up (see ``requestWake()``).
        case wake
        /// Nothing yet: suspend (see ``consumerSuspends(cancelled:)``).
        case wait
    }

    /// The consumer asks for the next batch. A wake-up it requested comes first.
    package mutating func next() -> NextAction {
        if wakeRequested {
            wakeRequested = false
            return .wake
        }
        var resume: [UInt64] = []
        if let batch = take(resume: &resume) { return .deliver(batch, resume: resume) }
        return producers <= 0 ? .end : .wait
    }

    /// What becomes of the consumer about to suspend.
    package enum ConsumerSuspendAction {
        /// Suspend; a later send or finish resumes it.
        case suspend
        /// Something arrived meanwhile: return it, after resuming these producers.
        case deliver([Element], resume: [UInt64])
        /// Every producer finished meanwhile: return the end.
        case end
        /// A wake-up was requested meanwhile: return it.
        case wake
        /// The task is cancelled: throw `CancellationError`.
        case cancelled
    }

    /// The consumer is about to suspend after ``next()`` said `wait`; `cancelled` says whether its task
    /// already is.
    package mutating func consumerSuspends(cancelled: Bool) -> ConsumerSuspendAction {
        if cancelled { return .cancelled }
        switch next() {
        case .deliver(let batch, let resume): return .deliver(batch, resume: resume)
        case .end: return .end
        case .wake: return .wake
        case .wait:
            consumerWaiting = true
            return .suspend
        }
    }

    /// Asks for the consumer to be woken once — now, if it is waiting (returns `true`: resume it with a
    /// wake-up), else at its next ``next()``, before any batch. Requests before it is woken coalesce into
    /// one: a stage that ticks while it is busy gets one tick, not a backlog.
    package mutating func requestWake() -> Bool {
        guard !consumerGone else { return false }
        if consumerWaiting {
            consumerWaiting = false
            return true
        }
        wakeRequested = true
        return false
    }

    /// The waiting consumer's task was cancelled. Returns whether it was waiting (and must be resumed with
    /// `CancellationError`).
    package mutating func consumerCancelled() -> Bool {
        defer { consumerWaiting = false }
        return consumerWaiting
    }

    /// The consumer will receive no more: what is queued, and what waiting producers hold, is counted as
    /// abandoned. Returns the suspended producers, to be resumed with ``QueueClosedError``.
    package mutating func closeConsumer() -> [UInt64] {
        consumerGone = true
        consumerWaiting = false
        var abandoned = count
        for w in waiters { abandoned += w.pending.count }
        stats.abandoned += abandoned
        buffer.removeAll()
        conflated.removeAll()
        count = 0
        let suspended = waiters.filter(\.suspended).map(\.id)
        for w in waiters where !w.suspended { closedWaiters.insert(w.id) }
        waiters.removeAll()
        return suspended
    }

    // MARK: Internals

    /// Appends a batch that fits; returns it for the consumer instead when the consumer is waiting on
    /// an empty queue (a direct hand-off).
    private mutating func append(_ batch: [Element]) -> [Element]? {
        stats.enqueued += batch.count
        if consumerWaiting, count == 0 {
            consumerWaiting = false
            stats.dequeued += batch.count
            stats.highWaterMark = max(stats.highWaterMark, batch.count)
            return batch
        }
        buffer.append(batch)
        count += batch.count
        stats.highWaterMark = max(stats.highWaterMark, count)
        return nil
    }

    private mutating func enqueueNonBlocking(_ batch: [Element]) -> [Element]? {
        switch policy.base {
        case .dropNewest:
            let space = capacity - count
            if batch.count <= space { return append(batch) }
            stats.dropped += batch.count - space
            return space > 0 ? append(Array(batch[..<space])) : nil
        case .dropOldest:
            var incoming = batch
            if incoming.count > capacity {
                stats.dropped += incoming.count - capacity
                incoming = Array(incoming.suffix(capacity))
            }
            var excess = count + incoming.count - capacity
            while excess > 0, var head = buffer.first {
                if head.count <= excess {
                    buffer.removeFirst()
                    count -= head.count
                    stats.dropped += head.count
                    excess -= head.count
                } else {
                    head.removeFirst(excess)
                    buffer[buffer.startIndex] = head
                    count -= excess
                    stats.dropped += excess
                    excess = 0
                }
            }
            return append(incoming)
        case .conflate:
            let key = keyOf!
            stats.enqueued += batch.count
            for element in batch {
                let k = key(element)
                if conflated.updateValue(element, forKey: k) != nil {
                    stats.conflated += 1
                } else if conflated.count > capacity {
                    conflated.removeFirst()
                    stats.dropped += 1
                }
            }
            count = conflated.count
            stats.highWaterMark = max(stats.highWaterMark, count)
            guard consumerWaiting else { return nil }
            consumerWaiting = false
            let values = Array(conflated.values)
            conflated.removeAll(keepingCapacity: true)
            count = 0
            stats.dequeued += values.count
            return values
        case .block:
            preconditionFailure("block is handled in send")
        }
    }

    /// Takes the oldest batch, then moves waiting producers' batches in as room allows; `resume` gets the
    /// suspended producers whose batches are now all in.
    private mutating func take(resume: inout [UInt64]) -> [Element]? {
        let batch: [Element]
        if policy == .conflate {
            guard !conflated.isEmpty else { return nil }
            batch = Array(conflated.values)
            conflated.removeAll(keepingCapacity: true)
        } else {
            guard let first = buffer.popFirst() else {
                // Nothing buffered, but a producer may be waiting with a batch larger than the capacity.
                guard var w = waiters.first else { return nil }
                let n = min(capacity, w.pending.count)
                let part = Array(w.pending[..<n])
                w.pending.removeFirst(n)
                stats.enqueued += n
                stats.dequeued += n
                if w.pending.isEmpty {
                    waiters.removeFirst()
                    if w.suspended { resume.append(w.id) }
                } else {
                    waiters[waiters.startIndex] = w
                }
                return part
            }
            batch = first
        }
        count -= batch.count
        stats.dequeued += batch.count
        // Admit waiting producers in order while there is room. (One that has not suspended yet finds
        // itself gone from the list when it does, and returns.)
        while var w = waiters.first {
            let space = capacity - count
            guard space > 0 else { break }
            if w.pending.count <= space {
                waiters.removeFirst()
                buffer.append(w.pending)
                count += w.pending.count
                stats.enqueued += w.pending.count
                if w.suspended { resume.append(w.id) }
            } else {
                buffer.append(Array(w.pending[..<space]))
                w.pending.removeFirst(space)
                count += space
                stats.enqueued += space
                waiters[waiters.startIndex] = w
            }
        }
        stats.highWaterMark = max(stats.highWaterMark, count)
        return batch
    }
}
