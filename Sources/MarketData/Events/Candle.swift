public import SluiceCore

/// One OHLCV bar of a candle time series (the symbol carries the period, e.g. `SPY{=5m}`).
///
/// DXLink event type `Candle`; as a record its type is `candle` and its columns are the fields below in
/// snake_case (`eventSymbol` is `symbol`), after `event_type`.
public struct Candle: MarketEventPayload, Hashable {
    /// The event type's name on the wire.
    public static let eventType = "Candle"
    /// The fields, in the order the client requests them by default.
    public static let fields: [EventField] = [
        EventField("eventSymbol", "symbol", .string),
        EventField("eventTime", "event_time", .time),
        EventField("eventFlags", "event_flags", .int),
        EventField("index", "index", .int),
        EventField("time", "time", .time),
        EventField("sequence", "sequence", .int),
        EventField("count", "count", .int),
        EventField("open", "open", .double),
        EventField("high", "high", .double),
        EventField("low", "low", .double),
        EventField("close", "close", .double),
        EventField("volume", "volume", .double),
        EventField("vwap", "vwap", .double),
        EventField("bidVolume", "bid_volume", .double),
        EventField("askVolume", "ask_volume", .double),
        EventField("impVolatility", "imp_volatility", .double),
        EventField("openInterest", "open_interest", .double),
    ]
    /// The record schema shared by every `Candle`.
    public static let recordSchema = EventField.schema(recordType: "candle", fields: fields)

    /// The symbol as subscribed (for candles, with the candle attributes, e.g. `SPY{=5m}`).
    public var eventSymbol: String
    /// When the event was created upstream (often zero from tastytrade).
    public var eventTime: Timestamp
    /// Snapshot and transaction flags of indexed events; see ``EventFlags``.
    public var eventFlags: Int64
    /// The event's index within its symbol (for time series: time and sequence packed into 64 bits).
    public var index: Int64
    /// The time of the event.
    public var time: Timestamp
    /// The sequence number within the same millisecond.
    public var sequence: Int64
    /// The number of trades in the candle.
    public var count: Int64
    /// The first price.
    public var open: Double
    /// The highest price.
    public var high: Double
    /// The lowest price.
    public var low: Double
    /// The last price.
    public var close: Double
    /// The volume.
    public var volume: Double
    /// The volume-weighted average price.
    public var vwap: Double
    /// Volume traded at the bid.
    public var bidVolume: Double
    /// Volume traded at the ask.
    public var askVolume: Double
    /// Implied volatility.
    public var impVolatility: Double
    /// The open interest.
    public var openInterest: Double

    /// Creates an event for `symbol` with every other field empty (NaN, zero or nil).
    public init(eventSymbol: String) {
        self.eventSymbol = eventSymbol
        self.eventTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.eventFlags = 0
        self.index = 0
        self.time = Timestamp(nanosecondsSinceEpoch: 0)
        self.sequence = 0
        self.count = 0
        self.open = .nan
        self.high = .nan
        self.low = .nan
        self.close = .nan
        self.volume = .nan
        self.vwap = .nan
        self.bidVolume = .nan
        self.askVolume = .nan
        self.impVolatility = .nan
        self.openInterest = .nan
    }

    /// Creates an event from decoded slots, in the order of ``fields``.
    public init(slots: borrowing EventSlots) {
        eventSymbol = slots.strings[0] ?? ""
        eventTime = Timestamp(millisecondsSinceEpoch: slots.ints[1])
        eventFlags = slots.ints[2]
        index = slots.ints[3]
        time = Timestamp(millisecondsSinceEpoch: slots.ints[4])
        sequence = slots.ints[5]
        count = slots.ints[6]
        open = slots.doubles[7]
        high = slots.doubles[8]
        low = slots.doubles[9]
        close = slots.doubles[10]
        volume = slots.doubles[11]
        vwap = slots.doubles[12]
        bidVolume = slots.doubles[13]
        askVolume = slots.doubles[14]
        impVolatility = slots.doubles[15]
        openInterest = slots.doubles[16]
    }

    /// Writes the fields into `slots`, in the order of ``fields``.
    public func store(into slots: inout EventSlots) {
        slots.strings[0] = eventSymbol
        slots.ints[1] = eventTime.millisecondsSinceEpoch
        slots.ints[2] = eventFlags
        slots.ints[3] = index
        slots.ints[4] = time.millisecondsSinceEpoch
        slots.ints[5] = sequence
        slots.ints[6] = count
        slots.doubles[7] = open
        slots.doubles[8] = high
        slots.doubles[9] = low
        slots.doubles[10] = close
        slots.doubles[11] = volume
        slots.doubles[12] = vwap
        slots.doubles[13] = bidVolume
        slots.doubles[14] = askVolume
        slots.doubles[15] = impVolatility
        slots.doubles[16] = openInterest
    }

    public var schema: RecordSchema { Self.recordSchema }
    public static var declaredFields: [Column]? { recordSchema.columns }
    public static var eventKinds: [String]? { [eventType] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(self.eventSymbol)
        case 2: return .time(self.eventTime)
        case 3: return .int(self.eventFlags)
        case 4: return .int(self.index)
        case 5: return .time(self.time)
        case 6: return .int(self.sequence)
        case 7: return .int(self.count)
        case 8: return .double(self.open)
        case 9: return .double(self.high)
        case 10: return .double(self.low)
        case 11: return .double(self.close)
        case 12: return .double(self.volume)
        case 13: return .double(self.vwap)
        case 14: return .double(self.bidVolume)
        case 15: return .double(self.askVolume)
        case 16: return .double(self.impVolatility)
        case 17: return .double(self.openInterest)
        default: return .null
        }
    }
}
