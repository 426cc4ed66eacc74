public import SluiceCore

/// The DXLink event types Sluice models.
public enum MarketEventType: String, ConfigOption, Hashable, CustomStringConvertible {
    case quote = "Quote"
    case trade = "Trade"
    case tradeETH = "TradeETH"
    case greeks = "Greeks"
    case summary = "Summary"
    case profile = "Profile"
    case theoPrice = "TheoPrice"
    case timeAndSale = "TimeAndSale"
    case underlying = "Underlying"
    case candle = "Candle"

    /// The Swift type of events of this type.
    public var payloadType: any MarketEventPayload.Type {
        switch self {
        case .quote: return Quote.self
        case .trade: return Trade.self
        case .tradeETH: return TradeETH.self
        case .greeks: return Greeks.self
        case .summary: return Summary.self
        case .profile: return Profile.self
        case .theoPrice: return TheoPrice.self
        case .timeAndSale: return TimeAndSale.self
        case .underlying: return Underlying.self
        case .candle: return Candle.self
        }
    }

    /// The type's fields in their default order.
    public var fields: [EventField] { payloadType.fields }

    /// Builds an event of this type from slots filled in the order of ``fields``.
    @inlinable
    public func make(_ slots: borrowing EventSlots) -> MarketEvent {
        switch self {
        case .quote: return .quote(Quote(slots: slots))
        case .trade: return .trade(Trade(slots: slots))
        case .tradeETH: return .tradeETH(TradeETH(slots: slots))
        case .greeks: return .greeks(Greeks(slots: slots))
        case .summary: return .summary(Summary(slots: slots))
        case .profile: return .profile(Profile(slots: slots))
        case .theoPrice: return .theoPrice(TheoPrice(slots: slots))
        case .timeAndSale: return .timeAndSale(TimeAndSale(slots: slots))
        case .underlying: return .underlying(Underlying(slots: slots))
        case .candle: return .candle(Candle(slots: slots))
        }
    }

    public var description: String { rawValue }
}

/// Any market event, a change of the feed's state, or a change of one subscription's state: what
/// `dxlink_decode` emits.
///
/// As a ``Record`` it shows the columns of the event it holds, so `filter`, `select` and the sinks work on
/// a mixed stream (`event_type == "Quote" && bid_price > 100`).
public enum MarketEvent: Record, Hashable {
    case quote(Quote)
    case trade(Trade)
    case tradeETH(TradeETH)
    case greeks(Greeks)
    case summary(Summary)
    case profile(Profile)
    case theoPrice(TheoPrice)
    case timeAndSale(TimeAndSale)
    case underlying(Underlying)
    case candle(Candle)
    /// The feed's state changed.
    case feed(FeedStatus)
    /// A subscription stopped or started delivering (`no_data`, `stale`, `fresh`).
    case symbol(SymbolStatus)
    /// A subscription joined or left the feed's universe.
    case universe(UniverseChange)

    /// The held value as a record.
    public var payload: any Record {
        switch self {
        case .quote(let e): return e
        case .trade(let e): return e
        case .tradeETH(let e): return e
        case .greeks(let e): return e
        case .summary(let e): return e
        case .profile(let e): return e
        case .theoPrice(let e): return e
        case .timeAndSale(let e): return e
        case .underlying(let e): return e
        case .candle(let e): return e
        case .feed(let e): return e
        case .symbol(let e): return e
        case .universe(let e): return e
        }
    }

    /// The held event's type; `nil` for feed and symbol status and universe changes.
    public var type: MarketEventType? {
        switch self {
        case .quote: return .quote
        case .trade: return .trade
        case .tradeETH: return .tradeETH
        case .greeks: return .greeks
        case .summary: return .summary
        case .profile: return .profile
        case .theoPrice: return .theoPrice
        case .timeAndSale: return .timeAndSale
        case .underlying: return .underlying
        case .candle: return .candle
        case .feed, .symbol, .universe: return nil
        }
    }

    /// The event type's name (`Quote`, …, `Feed` for feed status, `Symbol` for symbol status, `Universe`
    /// for universe changes).
    public var eventType: String {
        switch self {
        case .feed: return FeedStatus.eventType
        case .symbol: return SymbolStatus.eventType
        case .universe: return UniverseChange.eventType
        default: return type?.rawValue ?? ""
        }
    }

    /// The event's symbol (for symbol status and universe changes, the symbol they are about); `nil` for
    /// feed status.
    public var symbol: String? {
        switch self {
        case .quote(let e): return e.eventSymbol
        case .trade(let e): return e.eventSymbol
        case .tradeETH(let e): return e.eventSymbol
        case .greeks(let e): return e.eventSymbol
        case .summary(let e): return e.eventSymbol
        case .profile(let e): return e.eventSymbol
        case .theoPrice(let e): return e.eventSymbol
        case .timeAndSale(let e): return e.eventSymbol
        case .underlying(let e): return e.eventSymbol
        case .candle(let e): return e.eventSymbol
        case .symbol(let e): return e.symbol
        case .universe(let e): return e.symbol
        case .feed: return nil
        }
    }

    public var schema: RecordSchema { payload.schema }
    public func value(at index: Int) -> FieldValue { payload.value(at: index) }

    /// Every column any market event may carry.
    public static var declaredFields: [Column]? {
        var seen = Set<String>()
        var columns: [Column] = []
        for c in MarketEventType.allCases.flatMap({ $0.payloadType.recordSchema.columns }) + FeedStatus.schema.columns + SymbolStatus.schema.columns
            + UniverseChange.schema.columns
        where seen.insert(c.name).inserted {
            columns.append(c)
        }
        return columns
    }

    public static var eventKinds: [String]? { MarketEventType.allCases.map(\.rawValue) + [FeedStatus.eventType, SymbolStatus.eventType, UniverseChange.eventType] }

    public static var recordSchemas: [RecordSchema]? { MarketEventType.allCases.map { $0.payloadType.recordSchema } + [FeedStatus.schema, SymbolStatus.schema, UniverseChange.schema] }
}
