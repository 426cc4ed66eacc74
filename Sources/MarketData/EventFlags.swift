/// The `eventFlags` bits of indexed events: transactions and snapshots of time series and order books.
public struct EventFlags: OptionSet, Sendable, Hashable {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// Part of a multi-event transaction: hold until an event without this flag arrives.
    public static let txPending = EventFlags(rawValue: 0x01)
    /// Delete the event with this index (also marks an empty snapshot or the `fromTime` boundary).
    public static let removeEvent = EventFlags(rawValue: 0x02)
    /// First event of a (re)snapshot: what is held for this symbol is replaced.
    public static let snapshotBegin = EventFlags(rawValue: 0x04)
    /// Last event of a complete snapshot.
    public static let snapshotEnd = EventFlags(rawValue: 0x08)
    /// Last event of a snapshot cut short by a server limit.
    public static let snapshotSnip = EventFlags(rawValue: 0x10)
    /// A publisher-side flag consumers ignore.
    public static let snapshotMode = EventFlags(rawValue: 0x40)
}

/// An event type with `eventFlags` and an `index`: time series and snapshots.
public protocol IndexedMarketEvent: MarketEventPayload {
    /// The raw `eventFlags`.
    var eventFlags: Int64 { get }
    /// The event's index within its symbol.
    var index: Int64 { get }
}

extension IndexedMarketEvent {
    /// The flags as an option set.
    public var flags: EventFlags { EventFlags(rawValue: eventFlags) }
}

extension Greeks: IndexedMarketEvent {}
extension TheoPrice: IndexedMarketEvent {}
extension TimeAndSale: IndexedMarketEvent {}
extension Underlying: IndexedMarketEvent {}
extension Candle: IndexedMarketEvent {}

extension MarketEvent {
    /// The held event when it is an indexed one.
    public var indexed: (any IndexedMarketEvent)? {
        switch self {
        case .greeks(let e): return e
        case .theoPrice(let e): return e
        case .timeAndSale(let e): return e
        case .underlying(let e): return e
        case .candle(let e): return e
        default: return nil
        }
    }
}
