/// What a source says about its feed, for the operator endpoint (`/health`, `/ready`, `/metrics`) and the
/// status line. A source that never reports one is taken to be delivering once it runs.
///
/// ```swift
/// context.reportFeed(FeedHealth(state: "subscribed", isDelivering: false, time: context.clock.now))
/// ```
public struct FeedHealth: Sendable, Hashable {
    /// The feed's state in the source's own words: `connecting`, `subscribed`, `disconnected`, … (a
    /// short, fixed vocabulary per source: it becomes a metric label).
    public var state: String
    /// Whether the feed is up and delivering: for DXLink, subscribed with data or a snapshot seen since.
    /// The pipeline is ready only while every reporting source delivers.
    public var isDelivering: Bool
    /// When the state changed.
    public var time: Timestamp
    /// Why, for a feed that is down.
    public var reason: String?

    /// Creates a feed report.
    public init(state: String, isDelivering: Bool, time: Timestamp, reason: String? = nil) {
        self.state = state
        self.isDelivering = isDelivering
        self.time = time
        self.reason = reason
    }
}

extension StageContext {
    /// Reports the state of this source's feed (call it on every change; it is cheap, but not free:
    /// not once per event).
    public func reportFeed(_ health: FeedHealth) {
        counters.feed.set(health)
    }
}
