public import SluiceCore

/// One trade in the time-and-sales tape.
///
/// DXLink event type `TimeAndSale`; as a record its type is `time_and_sale` and its columns are the fields below in
/// snake_case (`eventSymbol` is `symbol`), after `event_type`.
public struct TimeAndSale: MarketEventPayload, Hashable {
    /// The event type's name on the wire.
    public static let eventType = "TimeAndSale"
    /// The fields, in the order the client requests them by default.
    public static let fields: [EventField] = [
        EventField("eventSymbol", "symbol", .string),
        EventField("eventTime", "event_time", .time),
        EventField("eventFlags", "event_flags", .int),
        EventField("index", "index", .int),
        EventField("time", "time", .time),
        EventField("timeNanoPart", "time_nano_part", .int),
        EventField("sequence", "sequence", .int),
        EventField("exchangeCode", "exchange_code", .string),
        EventField("price", "price", .double),
        EventField("size", "size", .double),
        EventField("bidPrice", "bid_price", .double),
        EventField("askPrice", "ask_price", .double),
        EventField("exchangeSaleConditions", "exchange_sale_conditions", .optionalString),
        EventField("tradeThroughExempt", "trade_through_exempt", .string),
        EventField("aggressorSide", "aggressor_side", .string),
        EventField("spreadLeg", "spread_leg", .bool),
        EventField("extendedTradingHours", "extended_trading_hours", .bool),
        EventField("validTick", "valid_tick", .bool),
        EventField("type", "type", .string),
        EventField("buyer", "buyer", .optionalString),
        EventField("seller", "seller", .optionalString),
    ]
    /// The record schema shared by every `TimeAndSale`.
    public static let recordSchema = EventField.schema(recordType: "time_and_sale", fields: fields)

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
    /// Nanoseconds to add to `time` (or the bid/ask times).
    public var timeNanoPart: Int64
    /// The sequence number within the same millisecond.
    public var sequence: Int64
    /// The exchange (one character).
    public var exchangeCode: String
    /// The price.
    public var price: Double
    /// The size.
    public var size: Double
    /// The best bid price.
    public var bidPrice: Double
    /// The best ask price.
    public var askPrice: Double
    /// Exchange-specific sale conditions.
    public var exchangeSaleConditions: String?
    /// The trade-through-exempt code.
    public var tradeThroughExempt: String
    /// Who initiated the trade: `BUY`, `SELL` or `UNDEFINED`.
    public var aggressorSide: String
    /// Whether the trade was a leg of a spread.
    public var spreadLeg: Bool
    /// Whether the event happened in extended trading hours.
    public var extendedTradingHours: Bool
    /// Whether the trade counts for last price and volume.
    public var validTick: Bool
    /// The sale type: `NEW`, `CORRECTION` or `CANCEL`.
    public var type: String
    /// The buyer, when the exchange reports it.
    public var buyer: String?
    /// The seller, when the exchange reports it.
    public var seller: String?

    /// Creates an event for `symbol` with every other field empty (NaN, zero or nil).
    public init(eventSymbol: String) {
        self.eventSymbol = eventSymbol
        self.eventTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.eventFlags = 0
        self.index = 0
        self.time = Timestamp(nanosecondsSinceEpoch: 0)
        self.timeNanoPart = 0
        self.sequence = 0
        self.exchangeCode = ""
        self.price = .nan
        self.size = .nan
        self.bidPrice = .nan
        self.askPrice = .nan
        self.exchangeSaleConditions = nil
        self.tradeThroughExempt = ""
        self.aggressorSide = ""
        self.spreadLeg = false
        self.extendedTradingHours = false
        self.validTick = false
        self.type = ""
        self.buyer = nil
        self.seller = nil
    }

    /// Creates an event from decoded slots, in the order of ``fields``.
    public init(slots: borrowing EventSlots) {
        eventSymbol = slots.strings[0] ?? ""
        eventTime = Timestamp(millisecondsSinceEpoch: slots.ints[1])
        eventFlags = slots.ints[2]
        index = slots.ints[3]
        time = Timestamp(millisecondsSinceEpoch: slots.ints[4])
        timeNanoPart = slots.ints[5]
        sequence = slots.ints[6]
        exchangeCode = slots.strings[7] ?? ""
        price = slots.doubles[8]
        size = slots.doubles[9]
        bidPrice = slots.doubles[10]
        askPrice = slots.doubles[11]
        exchangeSaleConditions = slots.strings[12]
        tradeThroughExempt = slots.strings[13] ?? ""
        aggressorSide = slots.strings[14] ?? ""
        spreadLeg = slots.bools[15]
        extendedTradingHours = slots.bools[16]
        validTick = slots.bools[17]
        type = slots.strings[18] ?? ""
        buyer = slots.strings[19]
        seller = slots.strings[20]
    }

    /// Writes the fields into `slots`, in the order of ``fields``.
    public func store(into slots: inout EventSlots) {
        slots.strings[0] = eventSymbol
        slots.ints[1] = eventTime.millisecondsSinceEpoch
        slots.ints[2] = eventFlags
        slots.ints[3] = index
        slots.ints[4] = time.millisecondsSinceEpoch
        slots.ints[5] = timeNanoPart
        slots.ints[6] = sequence
        slots.strings[7] = exchangeCode
        slots.doubles[8] = price
        slots.doubles[9] = size
        slots.doubles[10] = bidPrice
        slots.doubles[11] = askPrice
        slots.strings[12] = exchangeSaleConditions
        slots.strings[13] = tradeThroughExempt
        slots.strings[14] = aggressorSide
        slots.bools[15] = spreadLeg
        slots.bools[16] = extendedTradingHours
        slots.bools[17] = validTick
        slots.strings[18] = type
        slots.strings[19] = buyer
        slots.strings[20] = seller
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
        case 6: return .int(self.timeNanoPart)
        case 7: return .int(self.sequence)
        case 8: return .string(self.exchangeCode)
        case 9: return .double(self.price)
        case 10: return .double(self.size)
        case 11: return .double(self.bidPrice)
        case 12: return .double(self.askPrice)
        case 13: return self.exchangeSaleConditions.map(FieldValue.string) ?? .null
        case 14: return .string(self.tradeThroughExempt)
        case 15: return .string(self.aggressorSide)
        case 16: return .bool(self.spreadLeg)
        case 17: return .bool(self.extendedTradingHours)
        case 18: return .bool(self.validTick)
        case 19: return .string(self.type)
        case 20: return self.buyer.map(FieldValue.string) ?? .null
        case 21: return self.seller.map(FieldValue.string) ?? .null
        default: return .null
        }
    }
}
