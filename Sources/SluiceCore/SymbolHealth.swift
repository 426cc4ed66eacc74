/// What a stage that watches a feed's subscriptions says about them, for `/health`, `/metrics` and the
/// status line: how many are in each state, and the first few that are not delivering.
public struct SymbolHealth: Sendable, Hashable {
    /// Subscriptions watched.
    public var watched: Int
    /// Subscriptions per state: `waiting`, `fresh`, `stale`, `no_data` (a short, fixed vocabulary: it
    /// becomes a metric label).
    public var counts: [String: Int]
    /// The first few subscriptions with no data at all (`SYMBOL EventType`), in subscription order.
    public var noData: [String]
    /// The first few subscriptions that went quiet.
    public var stale: [String]

    /// Creates a report.
    public init(watched: Int, counts: [String: Int], noData: [String], stale: [String]) {
        self.watched = watched
        self.counts = counts
        self.noData = noData
        self.stale = stale
    }
}

extension StageContext {
    /// Reports the state of the subscriptions this stage watches (call it when they change, not per
    /// event).
    public func reportSymbols(_ health: SymbolHealth) {
        counters.symbols.set(health)
    }
}
