public import SluiceCore

/// A subscription that joined or left a feed's universe, and why: sent downstream in-band, so candle
/// builders, sinks and alerts know what is streaming and since when.
///
/// The `dxlink` source emits one per symbol for its first subscriptions (`configured`, `file`) and for
/// every later change (`file` when the symbols file changes, `api` for the operator endpoint).
public struct UniverseChange: StatusRecord, Hashable {
    /// Joined or left.
    public enum Change: String, Sendable, Hashable, CaseIterable {
        /// Subscribed.
        case added
        /// Unsubscribed.
        case removed
    }

    /// Why the universe changed.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// The pipeline file's `symbols` or `candles`.
        case configured
        /// The source's `symbols_file`.
        case file
        /// A request to the operator endpoint.
        case api
        /// An option chain's window (`option_chains`), or a futures product's contract (`futures`), as
        /// first resolved or refreshed.
        case chain
        /// The underlying moved: the chain's window re-centred on the new at-the-money strike.
        case recenter
        /// tastytrade's active month moved to the next contract.
        case roll
        /// The contracts' expiration passed.
        case expiry
    }

    /// The event kind of universe records.
    public static let eventType = "Universe"
    /// The streamer symbol (candles: the candle symbol, `SPY{=5m}`).
    public var symbol: String
    /// The event types subscribed (or unsubscribed) for it.
    public var eventTypes: [String]
    /// Joined or left.
    public var change: Change
    /// Why.
    public var reason: Reason
    /// When the source decided it.
    public var time: Timestamp

    /// Creates a universe change.
    public init(symbol: String, eventTypes: [String], change: Change, reason: Reason, time: Timestamp) {
        self.symbol = symbol
        self.eventTypes = eventTypes
        self.change = change
        self.reason = reason
        self.time = time
    }

    /// The record schema of universe records.
    public static let schema = RecordSchema(recordType: "universe", columns: [
        Column("event_type", .string), Column("symbol", .string), Column("event_types", .string),
        Column("change", .string), Column("reason", .string), Column("time", .time),
    ])

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(symbol)
        case 2: return .string(eventTypes.joined(separator: ","))
        case 3: return .string(change.rawValue)
        case 4: return .string(reason.rawValue)
        case 5: return .time(time)
        default: return .null
        }
    }
}
