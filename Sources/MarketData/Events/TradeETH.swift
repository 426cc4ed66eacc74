public import SluiceCore

/// The last sale in extended trading hours.
///
/// DXLink event type `TradeETH`; as a record its type is `trade_eth` and its columns are the fields below in
/// snake_case (`eventSymbol` is `symbol`), after `event_type`.
public struct TradeETH: MarketEventPayload, Hashable {
    /// The event type's name on the wire.
    public static let eventType = "TradeETH"
    /// The fields, in the order the client requests them by default.
    public static let fields: [EventField] = [
        EventField("eventSymbol", "symbol", .string),
        EventField("eventTime", "event_time", .time),
        EventField("time", "time", .time),
        EventField("timeNanoPart", "time_nano_part", .int),
        EventField("sequence", "sequence", .int),
        EventField("exchangeCode", "exchange_code", .string),
        EventField("dayId", "day_id", .int),
        EventField("tickDirection", "tick_direction", .string),
        EventField("extendedTradingHours", "extended_trading_hours", .bool),
        EventField("price", "price", .double),
        EventField("change", "change", .double),
        EventField("size", "size", .double),
        EventField("dayVolume", "day_volume", .double),
        EventField("dayTurnover", "day_turnover", .double),
    ]
    /// The record schema shared by every `TradeETH`.
    public static let recordSchema = EventField.schema(recordType: "trade_eth", fields: fields)

    /// The symbol as subscribed (for candles, with the candle attributes, e.g. `SPY{=5m}`).
    public var eventSymbol: String
    /// When the event was created upstream (often zero from tastytrade).
    public var eventTime: Timestamp
    /// The time of the event.
    public var time: Timestamp
    /// Nanoseconds to add to `time` (or the bid/ask times).
    public var timeNanoPart: Int64
    /// The sequence number within the same millisecond.
    public var sequence: Int64
    /// The exchange (one character).
    public var exchangeCode: String
    /// The trading day, as days since 1970-01-01.
    public var dayId: Int64
    /// The tick direction: `UP`, `DOWN`, `ZERO_UP`, `ZERO_DOWN`, `ZERO` or `UNDEFINED`.
    public var tickDirection: String
    /// Whether the event happened in extended trading hours.
    public var extendedTradingHours: Bool
    /// The price.
    public var price: Double
    /// The change of the last price from the previous day's close.
    public var change: Double
    /// The size.
    public var size: Double
    /// The volume traded today.
    public var dayVolume: Double
    /// The turnover (value traded) today.
    public var dayTurnover: Double

    /// Creates an event for `symbol` with every other field empty (NaN, zero or nil).
    public init(eventSymbol: String) {
        self.eventSymbol = eventSymbol
        self.eventTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.time = Timestamp(nanosecondsSinceEpoch: 0)
        self.timeNanoPart = 0
        self.sequence = 0
        self.exchangeCode = ""
        self.dayId = 0
        self.tickDirection = ""
        self.extendedTradingHours = false
        self.price = .nan
        self.change = .nan
        self.size = .nan
        self.dayVolume = .nan
        self.dayTurnover = .nan
    }

    /// Creates an event from decoded slots, in the order of ``fields``.
    public init(slots: borrowing EventSlots) {
        eventSymbol = slots.strings[0] ?? ""
        eventTime = Timestamp(millisecondsSinceEpoch: slots.ints[1])
        time = Timestamp(millisecondsSinceEpoch: slots.ints[2])
        timeNanoPart = slots.ints[3]
        sequence = slots.ints[4]
        exchangeCode = slots.strings[5] ?? ""
        dayId = slots.ints[6]
        tickDirection = slots.strings[7] ?? ""
        extendedTradingHours = slots.bools[8]
        price = slots.doubles[9]
        change = slots.doubles[10]
        size = slots.doubles[11]
        dayVolume = slots.doubles[12]
        dayTurnover = slots.doubles[13]
    }

    /// Writes the fields into `slots`, in the order of ``fields``.
    public func store(into slots: inout EventSlots) {
        slots.strings[0] = eventSymbol
        slots.ints[1] = eventTime.millisecondsSinceEpoch
        slots.ints[2] = time.millisecondsSinceEpoch
        slots.ints[3] = timeNanoPart
        slots.ints[4] = sequence
        slots.strings[5] = exchangeCode
        slots.ints[6] = dayId
        slots.strings[7] = tickDirection
        slots.bools[8] = extendedTradingHours
        slots.doubles[9] = price
        slots.doubles[10] = change
        slots.doubles[11] = size
        slots.doubles[12] = dayVolume
        slots.doubles[13] = dayTurnover
    }

    public var schema: RecordSchema { Self.recordSchema }
    public static var declaredFields: [Column]? { recordSchema.columns }
    public static var eventKinds: [String]? { [eventType] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(self.eventSymbol)
        case 2: return .time(self.eventTime)
        case 3: return .time(self.time)
        case 4: return .int(self.timeNanoPart)
        case 5: return .int(self.sequence)
        case 6: return .string(self.exchangeCode)
        case 7: return .int(self.dayId)
        case 8: return .string(self.tickDirection)
        case 9: return .bool(self.extendedTradingHours)
        case 10: return .double(self.price)
        case 11: return .double(self.change)
        case 12: return .double(self.size)
        case 13: return .double(self.dayVolume)
        case 14: return .double(self.dayTurnover)
        default: return .null
        }
    }
}
