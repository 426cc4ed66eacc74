import SluiceCore
import SluiceQueue
import Synchronization
import Tastytrade

/// Market metrics by symbol with a time to live, the symbols waiting to be fetched, and the stage's
/// batches waiting (up to a bound) for them.
final class MetricsCache: Sendable {
    /// What is known of one symbol.
    struct Entry: Sendable {
        /// The metrics; `nil` when tastytrade does not know the symbol.
        var metrics: MarketMetrics?
        /// When they were fetched.
        var fetched: Timestamp
    }

    /// How fresh a symbol's metrics are for a record.
    enum Status: String, Sendable {
        case fresh, stale, missing
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var pending: [String] = []
        var pendingSet: Set<String> = []
        var inFlight: Set<String> = []
        var failedAt: [String: Timestamp] = [:]
        var seen: Set<String> = []
        var fetcher: UnsafeContinuation<[String]?, Never>?
        var waiters: [UInt64: (symbols: Set<String>, continuation: UnsafeContinuation<Void, any Error>)] = [:]
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())
    let ttl: Duration
    let maxAge: Duration
    let retryAfterFailure: Duration
    let perRequest: Int

    init(ttl: Duration, maxAge: Duration, perRequest: Int) {
        self.ttl = ttl
        self.maxAge = max(maxAge, ttl)
        self.retryAfterFailure = max(.seconds(5), ttl / 10)
        self.perRequest = max(perRequest, 1)
    }

    /// The metrics and status for `symbol` at `now`, and whether they should be fetched (not fresh, not
    /// being fetched, and not failed just now).
    func lookup(_ symbol: String, now: Timestamp) -> (metrics: MarketMetrics?, status: Status, fetch: Bool) {
        let (entry, fetch) = state.withLock { s -> (Entry?, Bool) in
            let entry = s.entries[symbol]
            if let entry, now < entry.fetched.advanced(by: ttl) { return (entry, false) }
            if let failed = s.failedAt[symbol], now < failed.advanced(by: retryAfterFailure) { return (entry, false) }
            return (entry, true)
        }
        guard let entry, now < entry.fetched.advanced(by: maxAge) else { return (nil, .missing, fetch) }
        let fresh = now < entry.fetched.advanced(by: ttl)
        return (entry.metrics, entry.metrics == nil ? .missing : (fresh ? .fresh : .stale), fetch)
    }

    /// Queues `symbols` for fetching (those not already queued or in flight), in request-sized batches.
    /// A record with `symbol` arrived: whether its metrics must be fetched, and whether this is the first
    /// time the symbol is seen — the only case in which a batch may wait for them (once, up to `max_wait`).
    /// A symbol already pending, in flight or stale never holds the stream up.
    func admit(_ symbol: String, now: Timestamp) -> (fetch: Bool, firstSight: Bool) {
        let fetch = lookup(symbol, now: now).fetch
        let first = state.withLock { $0.seen.insert(symbol).inserted }
        return (fetch, first)
    }

    func request(_ symbols: [String]) {
        state.withLock { s in
            for symbol in symbols where !s.pendingSet.contains(symbol) && !s.inFlight.contains(symbol) {
                s.pending.append(symbol)
                s.pendingSet.insert(symbol)
            }
            if let fetcher = s.fetcher, let batch = Self.takeBatch(&s, max: perRequest) {
                s.fetcher = nil
                fetcher.resume(returning: batch)
            }
        }
    }

    /// When `symbol`'s metrics were fetched.
    func fetchedTime(_ symbol: String) -> Timestamp? {
        state.withLock { $0.entries[symbol]?.fetched }
    }

    /// The fetcher's next request: up to `perRequest` symbols; `nil` once closed.
    func nextRequest() async -> [String]? {
        await withUnsafeContinuation { (c: UnsafeContinuation<[String]?, Never>) in
            let batch = state.withLock { s -> [String]?? in
                if s.closed { return .some(nil) }  // what is still pending has nobody left to serve
                if let batch = Self.takeBatch(&s, max: perRequest) { return .some(batch) }
                s.fetcher = c
                return nil
            }
            if let batch { c.resume(returning: batch) }
        }
    }

    private static func takeBatch(_ s: inout State, max: Int) -> [String]? {
        guard !s.pending.isEmpty else { return nil }
        let batch = Array(s.pending.prefix(max))
        s.pending.removeFirst(batch.count)
        for symbol in batch {
            s.pendingSet.remove(symbol)
            s.inFlight.insert(symbol)
        }
        return batch
    }

    /// Stores a response (unknown symbols are remembered as such).
    func store(_ response: MarketMetricsResponse, requested: [String], now: Timestamp) {
        settle(requested) { s in
            for symbol in requested {
                s.entries[symbol] = Entry(metrics: response.metrics[symbol], fetched: now)
                s.failedAt[symbol] = nil
            }
        }
    }

    /// Records a failed request: the symbols are not asked for again for a while.
    /// A fetch was cancelled (shutdown): the symbols are no longer in flight; nothing counts as failed.
    func abandoned(_ requested: [String]) {
        settle(requested) { _ in }
    }

    func failed(_ requested: [String], now: Timestamp) {
        settle(requested) { s in
            for symbol in requested { s.failedAt[symbol] = now }
        }
    }

    private func settle(_ requested: [String], _ update: (inout State) -> Void) {
        let ready = state.withLock { s -> [UnsafeContinuation<Void, any Error>] in
            update(&s)
            for symbol in requested { s.inFlight.remove(symbol) }
            var ready: [UnsafeContinuation<Void, any Error>] = []
            for (id, w) in s.waiters where w.symbols.isDisjoint(with: s.inFlight) && w.symbols.isDisjoint(with: s.pendingSet) {
                ready.append(w.continuation)
                s.waiters[id] = nil
            }
            return ready
        }
        for c in ready { c.resume() }
    }

    /// Returns once none of `symbols` is waiting for a fetch, or at `deadline` on `clock`.
    func wait(for symbols: Set<String>, until deadline: Timestamp, clock: any StageClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: deadline) }
            group.addTask { await self.settled(symbols) }
            await group.next()
            group.cancelAll()
        }
    }

    private func settled(_ symbols: Set<String>) async {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        // Settled or cancelled, the wait is over either way.
        try? await suspend { c in
            state.withLock { s in
                if Task.isCancelled || (symbols.isDisjoint(with: s.inFlight) && symbols.isDisjoint(with: s.pendingSet)) { return .success(()) }
                s.waiters[id] = (symbols, c)
                return nil
            }
        } cancel: {
            state.withLock { $0.waiters.removeValue(forKey: id)?.continuation }
        }
    }

    /// Ends the fetcher's loop.
    func close() {
        let fetcher = state.withLock { s -> UnsafeContinuation<[String]?, Never>? in
            s.closed = true
            defer { s.fetcher = nil }
            return s.fetcher
        }
        fetcher?.resume(returning: nil)
    }
}
