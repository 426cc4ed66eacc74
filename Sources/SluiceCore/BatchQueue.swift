import DequeModule
import OrderedCollections
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
public final class BatchQueue<Element: Sendable>: Sendable {
    /// The most events the queue holds at once.
    public let capacity: Int
    /// What happens when it is full.
    public let policy: QueuePolicy
    private let keyOf: (@Sendable (Element) -> ConflationKey)?
    private let state: Mutex<State>

    private struct ProducerWaiter {
        var id: UInt64
        var pending: [Element]
        var continuation: UnsafeContinuation<Void, any Error>?
    }

    private struct State {
        var buffer = Deque<[Element]>()
        var conflated = OrderedDictionary<ConflationKey, Element>()
        var count = 0
        var producers: Int
        var consumerGone = false
        /// Waiters removed by `closeConsumer()` before they had suspended.
        var closedWaiters = Set<UInt64>()
        var consumer: UnsafeContinuation<[Element]?, any Error>?
        var waiters = Deque<ProducerWaiter>()
        var nextWaiterID: UInt64 = 0
        var stats = QueueStatistics()
    }

    /// Creates a queue.
    ///
    /// - Parameters:
    ///   - capacity: The most events held at once (at least 1).
    ///   - policy: What to do when full.
    ///   - producers: How many producers will call ``finishProducing()``.
    ///   - key: For `conflate`: the key of an event. Required for that policy.
    public init(capacity: Int, policy: QueuePolicy = .block, producers: Int = 1, key: (@Sendable (Element) -> ConflationKey)? = nil) {
        precondition(capacity >= 1, "queue capacity must be at least 1")
        precondition(policy != .conflate || key != nil, "conflate needs a key function")
        self.capacity = capacity
        self.policy = policy
        self.keyOf = key
        self.state = Mutex(State(producers: producers))
    }

    /// The queue's counters now.
    public var statistics: QueueStatistics {
        state.withLock { s in
            var st = s.stats
            st.depth = s.count
            return st
        }
    }

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
        if policy != .block {
            let (closed, wake): (Bool, ConsumerWake?) = state.withLock { s in
                if s.consumerGone {
                    s.stats.abandoned += batch.count
                    return (true, nil)
                }
                return (false, self.enqueueNonBlocking(batch, &s))
            }
            if closed { throw QueueClosedError() }
            wake?.resume()
            return
        }
        // Fast path: it fits (or the consumer is gone).
        var assignedID: UInt64 = 0
        let outcome: (Bool, ConsumerWake?)? = state.withLock { s in
            if s.consumerGone {
                s.stats.abandoned += batch.count
                return nil
            }
            let space = self.capacity - s.count
            if s.waiters.isEmpty && batch.count <= space {
                return (true, self.append(batch, &s))
            }
            // Queue what fits now (keeping FIFO order behind earlier waiters), then wait for the rest.
            var rest = batch
            var wake: ConsumerWake?
            if s.waiters.isEmpty && space > 0 {
                wake = self.append(Array(batch[..<space]), &s)
                rest = Array(batch[space...])
            }
            s.nextWaiterID += 1
            assignedID = s.nextWaiterID
            s.waiters.append(ProducerWaiter(id: assignedID, pending: rest, continuation: nil))
            return (false, wake)
        }
        guard let outcome else { throw QueueClosedError() }
        outcome.1?.resume()
        if outcome.0 { return }
        let waiterID = assignedID
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { s in
                    guard let i = s.waiters.firstIndex(where: { $0.id == waiterID }) else {
                        return s.closedWaiters.remove(waiterID) != nil ? .failure(QueueClosedError()) : .success(())
                    }
                    if Task.isCancelled {
                        let w = s.waiters.remove(at: i)
                        s.stats.abandoned += w.pending.count
                        return .failure(CancellationError())
                    }
                    s.waiters[i].continuation = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let c: UnsafeContinuation<Void, any Error>? = state.withLock { s in
                guard let i = s.waiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
                let w = s.waiters.remove(at: i)
                s.stats.abandoned += w.pending.count
                return w.continuation
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Declares that one producer will send no more. When all have, the consumer sees the end once the
    /// buffer is drained.
    public func finishProducing() {
        let wake: ConsumerWake? = state.withLock { s in
            s.producers -= 1
            if s.producers <= 0, s.count == 0, let c = s.consumer {
                s.consumer = nil
                return ConsumerWake(continuation: c, batch: nil)
            }
            return nil
        }
        wake?.resume()
    }

    // MARK: Consuming

    /// Receives the next batch, or `nil` when all producers have finished and the queue is empty.
    ///
    /// Only one task may consume.
    public func next() async throws -> [Element]? {
        var wakeProducers: [UnsafeContinuation<Void, any Error>] = []
        let immediate: [Element]?? = state.withLock { s in
            if let batch = self.take(&s, wake: &wakeProducers) { return .some(batch) }
            if s.producers <= 0 { return .some(nil) }
            return nil
        }
        for c in wakeProducers { c.resume() }
        if let immediate { return immediate }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[Element]?, any Error>) in
                var wake: [UnsafeContinuation<Void, any Error>] = []
                let now: Result<[Element]?, any Error>? = state.withLock { s in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let batch = self.take(&s, wake: &wake) { return .success(batch) }
                    if s.producers <= 0 { return .success(nil) }
                    s.consumer = continuation
                    return nil
                }
                for c in wake { c.resume() }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let c = state.withLock { s in
                let c = s.consumer
                s.consumer = nil
                return c
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Declares that the consumer will receive no more: what is queued, and what waiting producers still
    /// hold, is counted as abandoned; waiting producers and every later `send` throw ``QueueClosedError``.
    public func closeConsumer() {
        let waiters: [UnsafeContinuation<Void, any Error>] = state.withLock { s in
            s.consumerGone = true
            var abandoned = s.count
            for w in s.waiters { abandoned += w.pending.count }
            s.stats.abandoned += abandoned
            s.buffer.removeAll()
            s.conflated.removeAll()
            s.count = 0
            let cs = s.waiters.compactMap(\.continuation)
            for w in s.waiters where w.continuation == nil { s.closedWaiters.insert(w.id) }
            s.waiters.removeAll()
            return cs
        }
        for c in waiters { c.resume(throwing: QueueClosedError()) }
    }

    // MARK: Internals (called with the lock held)

    private struct ConsumerWake {
        var continuation: UnsafeContinuation<[Element]?, any Error>
        var batch: [Element]?
        func resume() { continuation.resume(returning: batch) }
    }

    /// Appends a batch that fits; hands the oldest batch to a waiting consumer.
    private func append(_ batch: [Element], _ s: inout State) -> ConsumerWake? {
        s.stats.enqueued += batch.count
        if let c = s.consumer, s.count == 0 {
            // Direct hand-off: the consumer was waiting on an empty queue.
            s.consumer = nil
            s.stats.dequeued += batch.count
            s.stats.highWaterMark = max(s.stats.highWaterMark, batch.count)
            return ConsumerWake(continuation: c, batch: batch)
        }
        s.buffer.append(batch)
        s.count += batch.count
        s.stats.highWaterMark = max(s.stats.highWaterMark, s.count)
        return nil
    }

    private func enqueueNonBlocking(_ batch: [Element], _ s: inout State) -> ConsumerWake? {
        switch policy.base {
        case .dropNewest:
            let space = capacity - s.count
            if batch.count <= space { return append(batch, &s) }
            s.stats.dropped += batch.count - space
            return space > 0 ? append(Array(batch[..<space]), &s) : nil
        case .dropOldest:
            var incoming = batch
            if incoming.count > capacity {
                s.stats.dropped += incoming.count - capacity
                incoming = Array(incoming.suffix(capacity))
            }
            var excess = s.count + incoming.count - capacity
            while excess > 0, var head = s.buffer.first {
                if head.count <= excess {
                    s.buffer.removeFirst()
                    s.count -= head.count
                    s.stats.dropped += head.count
                    excess -= head.count
                } else {
                    head.removeFirst(excess)
                    s.buffer[s.buffer.startIndex] = head
                    s.count -= excess
                    s.stats.dropped += excess
                    excess = 0
                }
            }
            return append(incoming, &s)
        case .conflate:
            let key = keyOf!
            s.stats.enqueued += batch.count
            for element in batch {
                let k = key(element)
                if s.conflated.updateValue(element, forKey: k) != nil {
                    s.stats.conflated += 1
                } else if s.conflated.count > capacity {
                    s.conflated.removeFirst()
                    s.stats.dropped += 1
                }
            }
            s.count = s.conflated.count
            s.stats.highWaterMark = max(s.stats.highWaterMark, s.count)
            if let c = s.consumer {
                s.consumer = nil
                let values = Array(s.conflated.values)
                s.conflated.removeAll(keepingCapacity: true)
                s.count = 0
                s.stats.dequeued += values.count
                return ConsumerWake(continuation: c, batch: values)
            }
            return nil
        case .block:
            preconditionFailure("block is handled in send")
        }
    }

    /// Takes the oldest batch, then moves waiting producers' batches in as room allows.
    private func take(_ s: inout State, wake: inout [UnsafeContinuation<Void, any Error>]) -> [Element]? {
        let batch: [Element]
        if policy == .conflate {
            guard !s.conflated.isEmpty else { return nil }
            batch = Array(s.conflated.values)
            s.conflated.removeAll(keepingCapacity: true)
        } else {
            guard let first = s.buffer.popFirst() else {
                // Nothing buffered, but a producer may be waiting with a batch larger than the capacity.
                guard !s.waiters.isEmpty else { return nil }
                var w = s.waiters[s.waiters.startIndex]
                let n = min(capacity, w.pending.count)
                let part = Array(w.pending[..<n])
                w.pending.removeFirst(n)
                s.stats.enqueued += n
                s.stats.dequeued += n
                if w.pending.isEmpty {
                    s.waiters.removeFirst()
                    if let c = w.continuation { wake.append(c) }
                } else {
                    s.waiters[s.waiters.startIndex] = w
                }
                return part
            }
            batch = first
        }
        s.count -= batch.count
        s.stats.dequeued += batch.count
        // Admit waiting producers in order while there is room.
        while var w = s.waiters.first {
            let space = capacity - s.count
            guard space > 0 else { break }
            if w.pending.count <= space {
                s.waiters.removeFirst()
                s.buffer.append(w.pending)
                s.count += w.pending.count
                s.stats.enqueued += w.pending.count
                if let c = w.continuation { wake.append(c) } else {
                    // The producer has not suspended yet; it will find itself gone from the list.
                }
            } else {
                s.buffer.append(Array(w.pending[..<space]))
                w.pending.removeFirst(space)
                s.count += space
                s.stats.enqueued += space
                s.waiters[s.waiters.startIndex] = w
            }
        }
        s.stats.highWaterMark = max(s.stats.highWaterMark, s.count)
        return batch
    }
}

/// Thrown by ``BatchQueue/send(_:)`` once the queue's consumer has stopped: the stage downstream is gone
/// (it failed, or the run is ending), so there is nobody to send to. A producer that sees it stops.
public struct QueueClosedError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Creates the error.
    public init() {}

    public var description: String { "the downstream stage has stopped" }
}
