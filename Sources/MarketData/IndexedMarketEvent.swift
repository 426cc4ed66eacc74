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
