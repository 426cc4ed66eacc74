public import SluiceCore

/// A change in whether one subscription — a symbol and an event type — is delivering, sent downstream
/// in-band like ``FeedStatus`` so that later stages can tell a quiet symbol from one that never worked.
///
/// `dxlink_decode` emits one when a subscription has had no event `no_data_after` after it was
/// subscribed (`no_data`: a wrong streamer symbol, an unsupported event type, no entitlement), when one
/// that was ticking has been quiet longer than `stale_after` while the feed is up (`stale`), and when
/// either delivers again (`fresh`).
public struct SymbolStatus: StatusRecord, Hashable {
    /// Where a subscription stands.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Subscribed, no event yet, and its `no_data_after` has not passed.
        case waiting
        /// Delivering.
        case fresh
        /// Delivered before, but quiet for longer than `stale_after` while the feed is up.
        case stale
        /// No event at all within `no_data_after` of being subscribed.
        case noData = "no_data"
    }

    /// The event kind of symbol status records.
    public static let eventType = "Symbol"
    /// The streamer symbol, as subscribed.
    public var symbol: String
    /// The event type of the subscription (`Quote`, `Greeks`, …).
    public var watchedType: MarketEventType
    /// The new state (never `waiting`: that is where every subscription starts).
    public var state: State
    /// When the change was noticed.
    public var time: Timestamp
    /// When the subscription last delivered (`nil`: never).
    public var lastEventTime: Timestamp?
    /// How long it had been quiet: since its last event, or since it was subscribed.
    public var quietSeconds: Double

    /// Creates a symbol status.
    public init(symbol: String, watchedType: MarketEventType, state: State, time: Timestamp, lastEventTime: Timestamp?, quietSeconds: Double) {
        self.symbol = symbol
        self.watchedType = watchedType
        self.state = state
        self.time = time
        self.lastEventTime = lastEventTime
        self.quietSeconds = quietSeconds
    }

    /// The record schema of symbol status records.
    public static let schema = RecordSchema(recordType: "symbol_status", columns: [
        Column("event_type", .string), Column("symbol", .string), Column("watched_type", .string),
        Column("state", .string), Column("time", .time), Column("last_event_time", .time), Column("quiet_seconds", .double),
    ])

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(symbol)
        case 2: return .string(watchedType.rawValue)
        case 3: return .string(state.rawValue)
        case 4: return .time(time)
        case 5: return lastEventTime.map(FieldValue.time) ?? .null
        case 6: return .double(quietSeconds)
        default: return .null
        }
    }
}
